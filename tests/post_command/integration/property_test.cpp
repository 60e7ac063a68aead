// Property test of the command side: random sequences of the seven commands
// with hostile strings against the real post-command binary, on SQLite and
// on the real PostgreSQL. Whatever happens: no answer is 5xx, nothing that
// breaks the rule of valid event data is accepted, the store stays
// contiguous per post (versions 1..n), every 2xx is exactly one stored event
// with the data the client sent, and the shipped projections (sql_read_model
// and analytics) reject none of the stored events. Seeded (printed;
// FANOUT_PROPERTY_SEED replays), bounded in time.
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "event_store.hpp"
#include "fanout/common/event_data.hpp"
#include "fixture.hpp"
#include "hostile_commands.hpp"
#include "shipped_projections.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

using Clock = std::chrono::steady_clock;

class PostCommandProperty : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, PostCommandProperty, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);

/// Every stored event, in global sequence order.
std::vector<post_command::StoredEvent> stored_events(const std::string& connection) {
    post_command::EventReader reader(post_command::parse_store_location(connection), {});
    std::vector<post_command::StoredEvent> all;
    for (;;) {
        auto page = reader.read_after(all.empty() ? 0 : all.back().global_sequence, 1000);
        if (page.empty()) return all;
        all.insert(all.end(), page.begin(), page.end());
    }
}

/// The first field of the request that breaks the rule (the data fields
/// only: usernames of edits and removals are compared, never stored).
bool breaks_the_rule(const CommandRequest& r) {
    using event_data::Kind;
    for (const auto& [name, value] : r.fields) {
        const Kind kind = name == "author" || name == "username" ? Kind::name
                          : name == "commentId"                  ? Kind::id
                                                                 : Kind::text;
        if (!event_data::valid(kind, value)) return true;
    }
    return false;
}

TEST_P(PostCommandProperty, RandomHostileCommandsAreStoredContiguouslyAndAllProjected) {
    const std::uint64_t seed = property_seed(
        ("PostCommandProperty.RandomHostileCommandsAreStoredContiguouslyAndAllProjected/" + to_string(GetParam()))
            .c_str());
    SCOPED_TRACE("FANOUT_PROPERTY_SEED=" + std::to_string(seed));
    // Bodies up to 256 KiB, so values past the 64 KiB text limit reach the rule.
    ServiceUnderTest service(GetParam(), with_yaml("http: {max_body_bytes: 262144, keep_alive_timeout_s: 1}\n"));
    ASSERT_GT(service.start(), 0);

    CommandGenerator generator(seed);
    std::map<std::string, AcceptedPost> posts;
    std::map<int, int> statuses;
    std::size_t accepted_events = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(GetParam() == StoreKind::sqlite ? 12 : 18);
    int commands = 0;
    for (; commands < 1500 && Clock::now() < deadline; ++commands) {
        const CommandRequest r = generator.next(posts);
        const Reply reply = service.client->send(r.method, r.path, r.body);
        ++statuses[reply.status];
        const std::string what = std::string(to_string(r.kind)) + " " + r.path + " body of " +
                                 std::to_string(r.body.size()) + " bytes: " + r.body.substr(0, 300);
        ASSERT_TRUE(reply.status >= 200 && reply.status < 500) << reply.status << " " << reply.body << " for " << what;
        ASSERT_TRUE(reply.is_json_object()) << reply.body;
        if (reply.status != 200 && reply.status != 201) continue;
        ASSERT_FALSE(r.fields.empty() && r.kind != CommandRequest::Kind::like) << "accepted a malformed body: " << what;
        ASSERT_FALSE(breaks_the_rule(r)) << "accepted data the projections would refuse: " << what;
        const std::string id = r.kind == CommandRequest::Kind::new_post      ? reply.field("id")
                               : r.kind == CommandRequest::Kind::add_comment ? reply.field("commentId")
                                                                             : std::string();
        record_success(posts, r, id);
        ++accepted_events;
    }
    std::cout << to_string(GetParam()) << ": " << commands << " commands, " << posts.size() << " posts, "
              << accepted_events << " accepted;";
    for (const auto& [status, n] : statuses) std::cout << " " << status << " x" << n;
    std::cout << std::endl;
    EXPECT_GT(accepted_events, 50u);
    EXPECT_GT(statuses[400], 50);

    // Every 2xx is one stored event, in order per post, versions 1..n, with
    // the data the client sent.
    const std::vector<post_command::StoredEvent> events = stored_events(service.store.connection());
    ASSERT_EQ(events.size(), accepted_events);
    std::map<std::string, std::vector<const post_command::StoredEvent*>> by_post;
    for (const auto& e : events) by_post[e.aggregate_id].push_back(&e);
    std::set<std::string> expected_posts;
    for (const auto& [id, post] : posts) {
        if (!post.events.empty()) expected_posts.insert(id);
    }
    std::set<std::string> stored_posts;
    for (const auto& [id, list] : by_post) stored_posts.insert(id);
    ASSERT_EQ(stored_posts, expected_posts);
    for (const auto& [id, list] : by_post) {
        const AcceptedPost& post = posts.at(id);
        ASSERT_EQ(list.size(), post.events.size()) << id;
        for (std::size_t v = 0; v < list.size(); ++v) {
            const post_command::StoredEvent& e = *list[v];
            ASSERT_EQ(e.version, static_cast<std::int64_t>(v + 1)) << "post " << id << " is not contiguous";
            ASSERT_EQ(e.type, post.events[v].type) << id << " v" << e.version;
            rapidjson::Document data;
            data.Parse(e.data.data(), e.data.size());
            ASSERT_TRUE(data.IsObject()) << e.data;
            for (const auto& [field, value] : post.events[v].data) {
                const auto it = data.FindMember(field.c_str());
                ASSERT_NE(it, data.MemberEnd()) << field << " missing in " << e.type << " of " << id;
                EXPECT_EQ(std::string(it->value.GetString(), it->value.GetStringLength()), value)
                    << field << " of " << e.type << " v" << e.version << " of " << id;
            }
        }
    }

    // The relay publishes what was stored; the projections take all of it.
    EXPECT_TRUE(service.client->wait_published(static_cast<std::int64_t>(events.size()), std::chrono::seconds(30)))
        << service.process->log().substr(0, 2000);
    ShippedProjections projections(GetParam() == StoreKind::sqlite ? DbBackend::sqlite : DbBackend::postgresql);
    const std::vector<std::string> failures = projections.feed(events);
    EXPECT_TRUE(failures.empty()) << failures.size() << " rejected, the first: " << failures.front();
}

// The defect this rule closes: a NUL in an author was accepted (201), then
// every projection dead-lettered the event and the post never appeared.
TEST(PostCommandEventData, NewPostWithNulOrLoneSurrogateIsRefusedNamingTheField) {
    ServiceUnderTest service(StoreKind::sqlite);
    ASSERT_GT(service.start(), 0);
    Reply r = service.client->send("POST", "/api/v1/newPost", R"({"author":"a\u0000b","message":"hello"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.message(),
              "field 'author' must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not blank "
              "(found a NUL character at byte 1)");
    r = service.client->send("POST", "/api/v1/newPost", R"({"author":"alice","message":"lone \udc00 low surrogate"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.message().find("field 'message' must be a text"), std::string::npos) << r.body;
    EXPECT_NE(r.message().find("unpaired UTF-16 surrogate at byte 5"), std::string::npos) << r.body;
    r = service.client->send("POST", "/api/v1/newPost",
                             R"({"author":")" + std::string(101, 'a') + R"(","message":"hello"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.message().find("found more than 100 bytes"), std::string::npos) << r.body;
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 0) << "refused commands store nothing";

    // What the rule allows is accepted and stored as sent.
    const std::string id = service.client->new_post("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x98\x80",
                                                    "e\xcc\x81\xcc\x81 \xe2\x80\xae mixed");
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 1);
}

}  // namespace
