// What the analytics plugin counts, through its real descriptor (the built
// .so), on SQLite and on the real PostgreSQL of FANOUT_TEST_PG: every event
// type, unknown posts, likes by the day they occurred, removal, the
// documented query, a database shared with the read model. The engine's
// guarantees (checkpoints, fencing, replays, failures, rejected events) are
// conformance_test.cpp's.
#include <gtest/gtest.h>

#include "analytics_traits.hpp"
#include "projection_test.hpp"
#include "read_model_traits.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

// PartitionEvents stamps every event with this occurredAt: likes count on its day.
const std::string k_like_day = "2026-11-22";
const std::string k_nov1 = "2026-11-01T10:00:00.000Z";
const std::string k_nov2 = "2026-11-02T23:59:59.999Z";

class Analytics : public ProjectionOnEachBackend<AnalyticsTraits> {};
INSTANTIATE_TEST_SUITE_P(Backends, Analytics, each_backend(), backend_name);

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
    PartitionEvents p;
    const auto outcomes = handle(every_type(p));
    EXPECT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));
    const Tables expected = every_type_counts();
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
    EXPECT_EQ(counter("applied"), 12u);
    EXPECT_EQ(checkpoint(), 12);
}

TEST_P(Analytics, CountsEveryEventTypeOverStoredRows) {
    PartitionEvents p;
    // One event per batch: every delta meets the rows the previous batch stored.
    for (const FakeEvent& e : every_type(p)) {
        const auto outcomes = handle({e});
        EXPECT_TRUE(all_done(outcomes)) << e.type() << ": " << ::testing::PrintToString(describe(outcomes));
    }
    const Tables expected = every_type_counts();
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
    EXPECT_EQ(checkpoint(), 12);
}

// Of the rejected events, those of a post it never saw have a counter of their own.
TEST_P(Analytics, EventsOfUnknownPostsAreCountedApart) {
    PartitionEvents p;
    const auto outcomes = handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "ghost", 2),
        p.next("CommentAddedEvent", "ghost", 3, comment_added_data("c1", "Boo", "bob", k_nov1)),
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostCreatedEvent", "p1", 2, created_data("alice", "Again", k_nov1)),
    });
    EXPECT_EQ(kinds(outcomes), (std::vector<std::string>{"done", "reject", "reject", "reject", "reject"}));
    EXPECT_EQ(counter("unknown_posts"), 2u) << "not the version gap, not the second creation";
    EXPECT_EQ(counter("rejected"), 4u);
}

// A like counts on the day it occurred: its occurredAt must be a timestamp.
TEST_P(Analytics, LikesCountOnTheDayTheyOccurred) {
    const std::string k_timestamp =
        "must be a UTC timestamp in RFC 3339 form, YYYY-MM-DDTHH:MM:SS[.fraction]Z (e.g. 2026-11-22T09:15:02.417Z) "
        "(found another form)";
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p3", 1, created_data("carol", "Fine", k_nov1)),
        p.raw(make_envelope("e1", "PostLikedEvent", "p3", 2, 9, "not a date", "{}")),
        p.next("PostLikedEvent", "p3", 2),
    };
    EXPECT_EQ(describe(handle(batch)),
              (std::vector<std::string>{"done", "reject: PostLikedEvent: occurredAt " + k_timestamp, "done"}));
    expect_tables(reference_of({batch[0], batch[2]}));
    EXPECT_EQ(tables().days.at(k_like_day), (DayCounts{0, 0, 1})) << "the like, on the day it occurred";
    EXPECT_EQ(tables().days.at("2026-11-01"), (DayCounts{1, 0, 0})) << "the post, on the day it was posted";
}

TEST_P(Analytics, RemovedPostKeepsItsCountsAndRejectsLaterEvents) {
    PartitionEvents p;
    ASSERT_TRUE(all_done(handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
    })));
    ASSERT_TRUE(all_done(handle({p.next("PostRemovedEvent", "p1", 3)})));
    const auto late = handle({p.next("PostLikedEvent", "p1", 2), p.next("PostLikedEvent", "p1", 4)});
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

TEST_P(Analytics, TopPostsQueryOrdersByLikes) {
    PartitionEvents p;
    std::vector<FakeEvent> batch;
    const std::vector<std::pair<std::string, int>> likes = {{"a", 3}, {"b", 7}, {"c", 0}, {"d", 5}, {"e", 1}};
    for (const auto& [post, n] : likes) {
        batch.push_back(p.next("PostCreatedEvent", post, 1, created_data("u-" + post, "x", k_nov1)));
        for (int v = 2; v < n + 2; ++v) batch.push_back(p.next("PostLikedEvent", post, v));
    }
    ASSERT_TRUE(all_done(handle(batch)));
    // The query README.md documents.
    soci::rowset<soci::row> rows = (db_->session().prepare << "SELECT post_id, author FROM analytics_posts"
                                                              " WHERE removed = 0 ORDER BY likes DESC LIMIT 3");
    std::vector<std::string> top;
    for (const soci::row& r : rows) top.push_back(r.get<std::string>(0) + " by " + r.get<std::string>(1));
    EXPECT_EQ(top, (std::vector<std::string>{"b by u-b", "d by u-d", "a by u-a"}));
}

TEST_P(Analytics, SharesADatabaseWithTheReadModel) {
    // Both plugins' schemas in one database: no table of one is the other's.
    const auto read_model = make_plugin<ReadModelTraits>(db_->connection_option());
    read_model->assign(k_topic, {0});
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_nov1)),
        p.next("PostLikedEvent", "p1", 2),
    };
    ASSERT_TRUE(all_done(read_model->handle(batch)));
    ASSERT_TRUE(all_done(handle(batch)));
    EXPECT_EQ(ReadModelTraits::read(db_->session()).posts.at("p1").likes, 1);
    EXPECT_EQ(tables().posts.at("p1").likes, 1);
    EXPECT_EQ(tables().authors.at("alice").likes_received, 1);
    EXPECT_EQ(db_->checkpoint(ReadModelTraits::k_names.checkpoint_table(), ReadModelTraits::k_names.group(), k_topic, 0),
              2);
    EXPECT_EQ(checkpoint(), 2);
}

TEST_P(Analytics, TextIsStoredExactly) {
    PartitionEvents p;
    const std::string tricky =
        "quote \" backslash \\ comma , {braces} NULL 'single' \xc3\xbcnic\xc3\xb8"
        "de \xf0\x9f\x98\x80";
    ASSERT_TRUE(all_done(handle({
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

}  // namespace
