// The analytics counts through the plugin's real descriptor (the built .so),
// on SQLite and on the real PostgreSQL of FANOUT_TEST_PG: every event type,
// idempotence on replay, unknown posts, removal, malformed events.
#include <random>

#include <gtest/gtest.h>

#include "analytics_test.hpp"
#include "events.hpp"
#include "plugin_driver.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

// PartitionEvents stamps every event with this occurredAt: likes count on its day.
const std::string k_like_day = "2026-11-22";
const std::string k_nov1 = "2026-11-01T10:00:00.000Z";
const std::string k_nov2 = "2026-11-02T23:59:59.999Z";

class Analytics : public AnalyticsTest {};
INSTANTIATE_TEST_SUITE_P(Backends, Analytics, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         backend_name);

/// p1 by alice (Nov 1): 2 likes, comments by bob and carol, edits, a removed
/// comment; p2 by bob (Nov 2): 1 like, removed; both in partition order.
std::vector<FakeEvent> every_type(PartitionEvents& p) {
    return {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("CommentAddedEvent", "p1", 3, comment_added_data("c1", "Nice", "bob", k_nov1)),
        p.next("PostLikedEvent", "p1", 4),
        p.next("CommentAddedEvent", "p1", 5, comment_added_data("c2", "Meh", "carol", k_nov2)),
        p.next("MessageUpdatedEvent", "p1", 6, message_data("Hello again")),
        p.next("CommentUpdatedEvent", "p1", 7, comment_updated_data("c1", "Nice!", "bob", k_nov2)),
        p.next("CommentRemovedEvent", "p1", 8, comment_removed_data("c2")),
        p.next("PostCreatedEvent", "p2", 1, created_data("bob", "Second", k_nov2)),
        p.next("PostLikedEvent", "p2", 2),
        p.next("CommentAddedEvent", "p2", 3, comment_added_data("c3", "Mine", "bob", k_nov2)),
        p.next("PostRemovedEvent", "p2", 4),
    };
}

Tables every_type_counts() {
    Tables t;
    t.authors["alice"] = {1, 0, 2};
    t.authors["bob"] = {1, 2, 1};
    t.authors["carol"] = {0, 1, 0};
    t.days["2026-11-01"] = {1, 1, 0};
    t.days["2026-11-02"] = {1, 2, 0};
    t.days[k_like_day] = {0, 0, 3};
    t.posts["p1"] = {"alice", "2026-11-01", 2, 8, false};
    t.posts["p2"] = {"bob", "2026-11-02", 1, 4, true};
    return t;
}

TEST_P(Analytics, CountsEveryEventTypeInOneBatch) {
    auto an = owner();
    PartitionEvents p;
    const auto outcomes = an->handle(every_type(p));
    EXPECT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));
    const Tables expected = every_type_counts();
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
    EXPECT_EQ(an->counter("applied"), 12u);
    EXPECT_EQ(checkpoint(), 12);
}

TEST_P(Analytics, CountsEveryEventTypeOverStoredRows) {
    auto an = owner();
    PartitionEvents p;
    // One event per batch: every delta meets the rows the previous batch stored.
    for (const FakeEvent& e : every_type(p)) {
        const auto outcomes = an->handle({e});
        EXPECT_TRUE(all_done(outcomes)) << e.type() << ": " << ::testing::PrintToString(describe(outcomes));
    }
    const Tables expected = every_type_counts();
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
    EXPECT_EQ(checkpoint(), 12);
}

TEST_P(Analytics, ReplayingTheStreamNeverCountsTwice) {
    EventGenerator generator(40);
    ReferenceCounts reference;
    PartitionEvents p;
    std::vector<FakeEvent> batch;
    for (int i = 0; i < 1000; ++i) {
        const GeneratedEvent g = generator.next();
        reference.apply(g.value);
        batch.push_back(p.envelope(g.value, g.key));
    }
    auto an = owner();
    ASSERT_TRUE(all_done(an->handle(batch)));
    const Tables first = tables();
    ASSERT_EQ(first, reference.tables()) << differences(reference.tables(), first);
    ASSERT_GT(first.total_likes(), 300);
    EXPECT_EQ(an->counter("applied"), 1000u);

    // The host redelivers it (its Kafka offset lagged behind the checkpoint).
    EXPECT_TRUE(all_done(an->handle(batch)));
    EXPECT_EQ(tables(), first);
    EXPECT_EQ(an->counter("duplicates"), 1000u);
    EXPECT_EQ(an->counter("applied"), 1000u);

    // A restarted instance of the group resumes after it.
    auto restarted = plugin();
    EXPECT_EQ(restarted->assign(k_topic, {0}), std::vector<std::int64_t>{1000});
    EXPECT_TRUE(all_done(restarted->handle(batch)));
    EXPECT_EQ(tables(), first);

    // Another group, no checkpoint: the whole stream again, a no-op by version.
    auto other = owner("fanout.other-group");
    EXPECT_TRUE(all_done(other->handle(batch)));
    EXPECT_EQ(tables(), first) << differences(first, tables());
    EXPECT_EQ(other->counter("duplicates"), 1000u);
    EXPECT_EQ(other->counter("applied"), 0u);
}

TEST_P(Analytics, BatchesOfAnySizeOverSeveralPartitionsGiveTheReferenceCounts) {
    EventGenerator generator(60, 7);
    ReferenceCounts reference;
    std::vector<PartitionEvents> partitions = {PartitionEvents(0), PartitionEvents(1), PartitionEvents(2)};
    std::vector<FakeEvent> stream;
    for (int i = 0; i < 3000; ++i) {
        const GeneratedEvent g = generator.next();
        reference.apply(g.value);
        const std::size_t partition = std::hash<std::string>{}(g.key) % 3;  // key -> partition, like Kafka
        stream.push_back(partitions[partition].envelope(g.value, g.key));
    }
    auto an = plugin();
    an->assign(k_topic, {0, 1, 2});
    std::mt19937 rng(3);
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min<std::size_t>(stream.size() - at, 1 + rng() % 300);
        const std::vector<FakeEvent> batch(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                           stream.begin() + static_cast<std::ptrdiff_t>(at + n));
        ASSERT_TRUE(all_done(an->handle(batch))) << "batch at " << at;
        at += n;
    }
    EXPECT_EQ(tables(), reference.tables()) << differences(reference.tables(), tables());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(checkpoint(i), partitions[static_cast<std::size_t>(i)].next_offset());
}

TEST_P(Analytics, EventOfAnUnknownPostIsDeadLetteredAndCountsNothing) {
    auto an = owner();
    PartitionEvents p;
    const auto outcomes = an->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "ghost", 2),
        p.next("CommentAddedEvent", "ghost", 3, comment_added_data("c1", "Boo", "bob", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "done",
                                      "reject: unknown post ghost: PostLikedEvent version 2",
                                      "reject: unknown post ghost: CommentAddedEvent version 3",
                                      "done",
                                  }));
    EXPECT_EQ(an->counter("unknown_posts"), 2u);
    EXPECT_EQ(an->counter("rejected"), 2u);
    EXPECT_EQ(an->counter("applied"), 2u);
    Tables expected;
    expected.authors["alice"] = {1, 0, 1};
    expected.days["2026-11-01"] = {1, 0, 0};
    expected.days[k_like_day] = {0, 0, 1};
    expected.posts["p1"] = {"alice", "2026-11-01", 1, 2, false};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
    EXPECT_EQ(checkpoint(), 1) << "stops at the first rejected event, so a failed dead-letter is redelivered";
}

TEST_P(Analytics, VersionGapAndSecondCreationAreRejected) {
    auto an = owner();
    PartitionEvents p;
    const auto outcomes = an->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostCreatedEvent", "p2", 2, created_data("bob", "Late", k_nov1)),
        p.next("PostCreatedEvent", "p1", 2, created_data("alice", "Again", k_nov1)),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "done",
                                      "reject: version gap: post p1 is at version 1, PostLikedEvent version 3",
                                      "reject: version gap: post p2 does not exist, PostCreatedEvent version 2",
                                      "reject: post p1 already exists: PostCreatedEvent version 2",
                                  }));
    EXPECT_EQ(an->counter("unknown_posts"), 0u);
    Tables expected;
    expected.authors["alice"] = {1, 0, 0};
    expected.days["2026-11-01"] = {1, 0, 0};
    expected.posts["p1"] = {"alice", "2026-11-01", 0, 1, false};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(Analytics, RemovedPostKeepsItsCountsAndRejectsLaterEvents) {
    auto an = owner();
    PartitionEvents p;
    ASSERT_TRUE(all_done(an->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
    })));
    ASSERT_TRUE(all_done(an->handle({p.next("PostRemovedEvent", "p1", 3)})));
    const auto late = an->handle({p.next("PostLikedEvent", "p1", 2), p.next("PostLikedEvent", "p1", 4)});
    EXPECT_EQ(describe(late), (std::vector<std::string>{
                                  "done",
                                  "reject: post p1 was removed at version 3: PostLikedEvent version 4",
                              }));
    Tables expected;
    expected.authors["alice"] = {1, 0, 1};
    expected.days["2026-11-01"] = {1, 0, 0};
    expected.days[k_like_day] = {0, 0, 1};
    expected.posts["p1"] = {"alice", "2026-11-01", 1, 3, true};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(Analytics, MalformedEventsAreRejectedAndCountNothing) {
    const std::string k_timestamp =
        "must be a UTC timestamp in RFC 3339 form, YYYY-MM-DDTHH:MM:SS[.fraction]Z (e.g. 2026-11-22T09:15:02.417Z) "
        "(found another form)";
    auto an = owner();
    PartitionEvents p;
    const auto outcomes = an->handle({
        p.raw("not json at all"),
        p.next("PostCreatedEvent", "p1", 1, R"({"author":"a","message":"m","datePosted":"yesterday"})"),
        p.next("PostCreatedEvent", "p2", 1, R"({"message":"no author","datePosted":"2026-11-01T00:00:00.000Z"})"),
        p.next("PostCreatedEvent", "p3", 1, created_data("carol", "Fine", k_nov1)),
        p.next("CommentAddedEvent", "p3", 2, R"({"commentId":"c1","comment":"x","commentDate":"2026-11-01"})"),
        p.next("CommentAddedEvent", "p3", 2, R"({"commentId":"c1","comment":"x","username":"u"})"),
        p.raw(make_envelope("e1", "PostLikedEvent", "p3", 2, 9, "not a date", "{}")),
        p.next("PostLikedEvent", "p3", 2),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "reject: malformed envelope: not a JSON event envelope",
                                      "reject: PostCreatedEvent: data.datePosted " + k_timestamp,
                                      "reject: PostCreatedEvent: data.author is missing or not a string",
                                      "done",
                                      "reject: CommentAddedEvent: data.username is missing or not a string",
                                      "reject: CommentAddedEvent: data.commentDate is missing or not a string",
                                      "reject: PostLikedEvent: occurredAt " + k_timestamp,
                                      "done",
                                  }));
    Tables expected;
    expected.authors["carol"] = {1, 0, 1};
    expected.days["2026-11-01"] = {1, 0, 0};
    expected.days[k_like_day] = {0, 0, 1};
    expected.posts["p3"] = {"carol", "2026-11-01", 1, 2, false};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(Analytics, TopPostsQueryOrdersByLikes) {
    auto an = owner();
    PartitionEvents p;
    std::vector<FakeEvent> batch;
    const std::vector<std::pair<std::string, int>> likes = {{"a", 3}, {"b", 7}, {"c", 0}, {"d", 5}, {"e", 1}};
    for (const auto& [post, n] : likes) {
        batch.push_back(p.next("PostCreatedEvent", post, 1, created_data("u-" + post, "x", k_nov1)));
        for (int v = 2; v < n + 2; ++v) batch.push_back(p.next("PostLikedEvent", post, v));
    }
    ASSERT_TRUE(all_done(an->handle(batch)));
    // The query README.md documents.
    soci::rowset<soci::row> rows = (db_->session().prepare << "SELECT post_id, author FROM analytics_posts"
                                                              " WHERE removed = 0 ORDER BY likes DESC LIMIT 3");
    std::vector<std::string> top;
    for (const soci::row& r : rows) top.push_back(r.get<std::string>(0) + " by " + r.get<std::string>(1));
    EXPECT_EQ(top, (std::vector<std::string>{"b by u-b", "d by u-d", "a by u-a"}));
}

TEST_P(Analytics, SharesADatabaseWithTheReadModel) {
    // Both plugins' schemas in one database: no table of one is the other's.
    PluginUnderTest read_model(db_->connection_option(), "fanout.read-model");
    read_model.assign(k_topic, {0});
    auto an = owner();
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
    };
    ASSERT_TRUE(all_done(read_model.handle(batch)));
    ASSERT_TRUE(all_done(an->handle(batch)));
    EXPECT_EQ(db_->model().posts.at("p1").likes, 1);
    EXPECT_EQ(tables().posts.at("p1").likes, 1);
    EXPECT_EQ(tables().authors.at("alice").likes_received, 1);
    EXPECT_EQ(db_->checkpoint("fanout.read-model", k_topic, 0), 2);
    EXPECT_EQ(checkpoint(), 2);
}

TEST_P(Analytics, TextIsStoredExactly) {
    auto an = owner();
    PartitionEvents p;
    const std::string tricky =
        "quote \" backslash \\ comma , {braces} NULL 'single' \xc3\xbcnic\xc3\xb8"
        "de \xf0\x9f\x98\x80";
    ASSERT_TRUE(all_done(an->handle({
        p.next("PostCreatedEvent", "p,{1} NULL", 1, created_data(tricky, "x", k_nov1)),
        p.next("CommentAddedEvent", "p,{1} NULL", 2, comment_added_data("c1", "y", "NULL", k_nov1)),
        p.next("PostLikedEvent", "p,{1} NULL", 3),
    })));
    Tables expected;
    expected.authors[tricky] = {1, 0, 1};
    expected.authors["NULL"] = {0, 1, 0};
    expected.days["2026-11-01"] = {1, 1, 0};
    expected.days[k_like_day] = {0, 0, 1};
    expected.posts["p,{1} NULL"] = {tricky, "2026-11-01", 1, 3, false};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

// What post-command refuses before it appends (fanout/common/event_data.hpp),
// analytics refuses by the same rule; what it allows is counted, whatever the
// script or the length.
TEST_P(Analytics, DataIsJudgedByTheSharedRule) {
    auto an = owner();
    PartitionEvents p;
    std::string longest_name;  // 100 bytes: the longest name valid event data allows
    for (int i = 0; i < 25; ++i) longest_name += "\xf0\x9f\x98\x80";
    const std::string rtl = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f e\xcc\x81\xcc\x81";
    const auto outcomes = an->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data(longest_name + "a", "m", k_nov1)),
        p.next("PostCreatedEvent", "p1", 1, created_data(std::string("a\0b", 3), "m", k_nov1)),
        p.next("PostCreatedEvent", "p1", 1, created_data("a", "m", "2026-11-01T10:00:00.000+01:00")),
        p.next("PostCreatedEvent", "p1", 1,
               created_data(longest_name, std::string(65536, 'm'), "2026-11-01T10:00:00Z")),
        p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", "\xed\xa0\x80", rtl, k_nov1)),
        p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", rtl, rtl, k_nov2)),
    });
    const auto reasons = describe(outcomes);
    const std::vector<std::string> expected_starts = {
        "reject: PostCreatedEvent: data.author must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not "
        "blank (found more than 100 bytes)",
        "reject: PostCreatedEvent: data.author must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not "
        "blank (found a NUL character at byte 1)",
        "reject: PostCreatedEvent: data.datePosted must be a UTC timestamp",
        "done",
        "reject: CommentAddedEvent: data.comment must be a text: 1 to 65536 bytes of UTF-8 without NUL characters, "
        "not blank (found an unpaired UTF-16 surrogate at byte 0",
        "done",
    };
    ASSERT_EQ(reasons.size(), expected_starts.size());
    for (std::size_t i = 0; i < reasons.size(); ++i)
        EXPECT_EQ(reasons[i].rfind(expected_starts[i], 0), 0u) << reasons[i];
    Tables expected;
    expected.authors[longest_name] = {1, 0, 0};
    expected.authors[rtl] = {0, 1, 0};
    expected.days["2026-11-01"] = {1, 0, 0};
    expected.days["2026-11-02"] = {0, 1, 0};
    expected.posts["p1"] = {longest_name, "2026-11-01", 0, 2, false};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

}  // namespace
