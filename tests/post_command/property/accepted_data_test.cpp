// Generated, in-process: what the rule of valid event data accepts, both
// shipped projections project, and what it refuses they reject; and the
// events of many random commands that post-command's own parsing and rules
// accept are all projected. Seeded (printed; FANOUT_PROPERTY_SEED replays).
#include <chrono>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "commands.hpp"
#include "domain_events.hpp"
#include "fanout/common/event_data.hpp"
#include "hostile_commands.hpp"
#include "post_aggregate.hpp"
#include "shipped_projections.hpp"
#include "utc_clock.hpp"
#include "uuid.hpp"

using namespace fanout;
using namespace fanout::test;
using post_command::StoredEvent;

namespace {

using Clock = std::chrono::steady_clock;

/// The data JSON of `fields` (values as raw bytes, escaped as post-command does).
std::string data_json(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out = "{";
    for (const auto& [name, value] : fields) {
        if (out.size() > 1) out += ",";
        out += "\"" + name + "\":" + json_literal(value);
    }
    return out + "}";
}

// Random field values (hostile, at and past the limits) in every field of
// every event type: where the rule accepts all of an event's fields, both
// plugins project it; where it refuses one, both reject it.
TEST(AcceptedEventData, BothProjectionsAcceptExactlyWhatTheRuleAccepts) {
    const std::uint64_t seed = property_seed("AcceptedEventData.BothProjectionsAcceptExactlyWhatTheRuleAccepts");
    SCOPED_TRACE("FANOUT_PROPERTY_SEED=" + std::to_string(seed));
    HostileStrings strings(seed);
    ShippedProjections projections(DbBackend::sqlite);
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    const std::string now = post_command::now_rfc3339_ms();
    int chains = 0, accepted = 0, refused = 0;
    std::int64_t sequence = 0;
    for (; chains < 400 && Clock::now() < deadline; ++chains) {
        // One post's history; a value from the generator in each field, or a valid one.
        const auto value = [&](bool text, const char* fallback) {
            if (strings.rng()() % 3 == 0) return std::string(fallback);
            for (;;) {
                JsonText t = strings.next(text);
                if (t.decoded) return *t.decoded;  // only strings a JSON body can carry
            }
        };
        const auto date = [&]() -> std::string {
            constexpr const char* k_dates[] = {
                "2026-02-29T10:00:00.000Z",      "2024-02-29T23:59:60Z", "2026-11-22", "2026-11-22T10:00:00+01:00", "",
                "2026-11-22T10:00:00.123456789z"};
            return strings.rng()() % 4 == 0 ? k_dates[strings.rng()() % std::size(k_dates)] : now;
        };
        const std::string post = post_command::new_uuid();
        // Comment ids from post-command are UUIDs; the rule allows any id (a
        // unique suffix: a comment id belongs to one post).
        const std::string comment_id =
            strings.rng()() % 8 == 0 ? value(false, "c") + "-" + std::to_string(chains) : post_command::new_uuid();
        const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> history = {
            {"PostCreatedEvent",
             {{"author", value(false, "alice")}, {"message", value(true, "Hello")}, {"datePosted", date()}}},
            {"CommentAddedEvent",
             {{"commentId", comment_id},
              {"comment", value(true, "Nice")},
              {"username", value(false, "bob")},
              {"commentDate", date()}}},
            {"MessageUpdatedEvent", {{"message", value(true, "Hello again")}}},
            {"CommentUpdatedEvent",
             {{"commentId", comment_id},
              {"comment", value(true, "Nice!")},
              {"username", value(false, "bob")},
              {"editDate", date()}}},
            {"PostLikedEvent", {}},
            {"CommentRemovedEvent", {{"commentId", comment_id}}},
            {"PostRemovedEvent", {}},
        };
        std::vector<StoredEvent> events;
        std::vector<bool> valid;
        bool chain_valid = true;
        for (const auto& entry : history) {
            const std::string& type = entry.first;
            const auto& fields = entry.second;
            const auto lookup = [&fields](std::string_view name) -> std::optional<std::string_view> {
                for (const auto& [n, v] : fields) {
                    if (n == name) return std::string_view(v);
                }
                return std::nullopt;
            };
            // Past the first refused event the post's history has a gap: rejected too.
            chain_valid = chain_valid && !event_data::data_violation(type, lookup);
            valid.push_back(chain_valid);
            events.push_back({++sequence, post_command::new_uuid(), post, static_cast<std::int64_t>(events.size() + 1),
                              type, data_json(fields), now});
        }
        const std::vector<std::string> failures = projections.feed(events, events.size());
        std::size_t expected_rejects = 0;
        for (const bool v : valid) {
            expected_rejects += v ? 0 : 2;  // one per plugin
            (v ? accepted : refused) += 1;
        }
        ASSERT_EQ(failures.size(), expected_rejects) << ::testing::PrintToString(failures);
        for (const std::string& f : failures) {
            // Each reject is the refused event itself or one after it.
            EXPECT_TRUE(f.find("must be") != std::string::npos || f.find("version gap") != std::string::npos ||
                        f.find("unknown post") != std::string::npos)
                << f;
        }
    }
    std::cout << "chains " << chains << ", events projected " << accepted << ", refused " << refused << std::endl;
    EXPECT_GT(accepted, 100);
    EXPECT_GT(refused, 100);
}

// Random commands through post-command's own request parsing and the post's
// rules (no HTTP): every event they would append is projected by both plugins.
TEST(AcceptedEventData, EventsOfRandomAcceptedCommandsAreAllProjected) {
    using Kind = CommandRequest::Kind;
    const std::uint64_t seed = property_seed("AcceptedEventData.EventsOfRandomAcceptedCommandsAreAllProjected");
    SCOPED_TRACE("FANOUT_PROPERTY_SEED=" + std::to_string(seed));
    CommandGenerator generator(seed);
    ShippedProjections projections(DbBackend::sqlite);
    std::map<std::string, AcceptedPost> accepted;
    std::map<std::string, post_command::PostAggregate> posts;
    std::vector<StoredEvent> events;
    std::map<int, int> answers;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    const std::string now = post_command::now_rfc3339_ms();
    int commands = 0;
    for (; commands < 4000 && Clock::now() < deadline; ++commands) {
        const CommandRequest r = generator.next(accepted);
        std::string post_id = r.post_id, answered_id;
        post_command::Decision decision;
        const auto bad = [&](const std::string&) { decision = post_command::Decision::reject({}, "bad request"); };
        const auto target = [&]() -> post_command::PostAggregate& {
            const auto canonical = post_command::canonical_uuid(post_id);
            post_id = canonical.value_or(post_id);
            return posts.try_emplace(post_id, post_id).first->second;
        };
        // The decision on a body that parses; a refusal for one that does not.
        const auto with = [&](const auto& parsed, const auto& decide) {
            if (const auto* body = std::get_if<0>(&parsed)) {
                decision = decide(*body);
            } else {
                bad(std::get<std::string>(parsed));
            }
        };
        if (r.kind != Kind::new_post && !post_command::canonical_uuid(r.post_id)) {
            bad("id");
        } else {
            switch (r.kind) {
                case Kind::new_post:
                    with(post_command::parse_new_post(r.body), [&](const auto& b) {
                        post_id = answered_id = post_command::new_uuid();
                        return target().create(b.author, b.message, now);
                    });
                    break;
                case Kind::edit_message:
                    with(post_command::parse_edit_message(r.body),
                         [&](const auto& b) { return target().edit_message(b.message, b.username); });
                    break;
                case Kind::like: decision = target().like(); break;
                case Kind::add_comment:
                    with(post_command::parse_add_comment(r.body), [&](const auto& b) {
                        answered_id = post_command::new_uuid();
                        return target().add_comment(b.comment, b.username, answered_id, now);
                    });
                    break;
                case Kind::edit_comment:
                    with(post_command::parse_edit_comment(r.body), [&](const auto& b) {
                        return target().edit_comment(b.comment_id, b.comment, b.username, now);
                    });
                    break;
                case Kind::remove_comment:
                    with(post_command::parse_remove_comment(r.body),
                         [&](const auto& b) { return target().remove_comment(b.comment_id, b.username); });
                    break;
                case Kind::delete_post:
                    with(post_command::parse_delete_post(r.body),
                         [&](const auto& b) { return target().remove(b.username); });
                    break;
            }
        }
        if (decision.error || decision.events.empty()) {
            ++answers[400];
            continue;
        }
        ++answers[200];
        post_command::PostAggregate& post = posts.at(post_id);
        for (const post_command::DomainEvent& e : decision.events) {
            post.apply(e);
            events.push_back({static_cast<std::int64_t>(events.size() + 1), post_command::new_uuid(), post_id,
                              post.version(), post_command::type_name(e), post_command::encode_data(e), now});
        }
        CommandRequest answered = r;
        answered.post_id = post_id;
        record_success(accepted, answered, answered_id);
    }
    std::cout << "commands " << commands << ": accepted " << answers[200] << ", refused " << answers[400] << "; events "
              << events.size() << std::endl;
    const std::vector<std::string> failures = projections.feed(events);
    EXPECT_TRUE(failures.empty()) << failures.size() << " rejected, the first: " << failures.front();
    EXPECT_GT(answers[200], 200);
    EXPECT_GT(answers[400], 100);
}

}  // namespace
