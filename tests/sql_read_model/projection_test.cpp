// What the sql_read_model projection writes to its tables, through the
// plugin's real descriptor (the built .so), on SQLite and on the real
// PostgreSQL of FANOUT_TEST_PG: every event type, removal and tombstones,
// unknown event types, text, versions remembered across writers. The
// engine's guarantees (checkpoints, fencing, replays, failures, rejected
// events) are conformance_test.cpp's.
#include <gtest/gtest.h>

#include "model.hpp"
#include "projection_test.hpp"
#include "read_model_traits.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

class SqlReadModel : public ProjectionOnEachBackend<ReadModelTraits> {};
INSTANTIATE_TEST_SUITE_P(Backends, SqlReadModel, each_backend(), backend_name);

/// p1 by alice, commented by bob as c1 and c2: versions 1 to 3.
std::vector<FakeEvent> commented_post(PartitionEvents& p) {
    return {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", "first", "bob", k_day)),
        p.next("CommentAddedEvent", "p1", 3, comment_added_data("c2", "second", "bob", k_day)),
    };
}

TEST_P(SqlReadModel, ProjectsEveryEventTypeInOneBatch) {
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("PostLikedEvent", "p1", 3),
        p.next("CommentAddedEvent", "p1", 4, comment_added_data("c1", "Nice", "bob", "2026-11-01T10:01:00.000Z")),
        p.next("CommentAddedEvent", "p1", 5, comment_added_data("c2", "Meh", "carol", "2026-11-01T10:02:00.000Z")),
        p.next("MessageUpdatedEvent", "p1", 6, message_data("Hello again")),
        p.next("CommentUpdatedEvent", "p1", 7, comment_updated_data("c1", "Nice!", "bob", "2026-11-01T10:03:00.000Z")),
        p.next("CommentRemovedEvent", "p1", 8, comment_removed_data("c2")),
        p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Second", "2026-11-01T11:00:00.000Z")),
    };
    const auto outcomes = handle(batch);
    EXPECT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));

    Model expected;
    expected.posts["p1"] = {"alice", "Hello again", k_day, 2, 8};
    expected.posts["p2"] = {"dave", "Second", "2026-11-01T11:00:00.000Z", 0, 1};
    expected.comments["c1"] = {"p1", "bob", "Nice!", "2026-11-01T10:03:00.000Z", 1};
    const Model actual = tables();
    EXPECT_EQ(actual, expected) << differences(expected, actual);
    EXPECT_EQ(counter("applied"), 9u);
    EXPECT_EQ(checkpoint(0), 9);
}

TEST_P(SqlReadModel, ProjectsEveryEventTypeOverStoredRows) {
    PartitionEvents p;
    ASSERT_TRUE(all_done(handle(
        {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
         p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", "First", "bob", "2026-11-01T10:01:00.000Z"))})));
    // One event per batch: every change meets the row the previous batch stored.
    const std::vector<FakeEvent> events = {
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostLikedEvent", "p1", 4),
        p.next("MessageUpdatedEvent", "p1", 5, message_data("Edited")),
        p.next("CommentAddedEvent", "p1", 6, comment_added_data("c2", "Second", "carol", "2026-11-01T10:02:00.000Z")),
        p.next("CommentUpdatedEvent", "p1", 7,
               comment_updated_data("c2", "Second!", "carol", "2026-11-01T10:04:00.000Z")),
        p.next("CommentRemovedEvent", "p1", 8, comment_removed_data("c1")),
        p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Other", k_day)),
    };
    for (const auto& e : events) {
        const auto outcomes = handle({e});
        EXPECT_TRUE(all_done(outcomes)) << e.type() << ": " << ::testing::PrintToString(describe(outcomes));
    }
    Model expected;
    expected.posts["p1"] = {"alice", "Edited", k_day, 2, 8};
    expected.posts["p2"] = {"dave", "Other", k_day, 0, 1};
    expected.comments["c2"] = {"p1", "carol", "Second!", "2026-11-01T10:04:00.000Z", 1};
    const Model actual = tables();
    EXPECT_EQ(actual, expected) << differences(expected, actual);
}

TEST_P(SqlReadModel, PostRemovedDeletesThePostAndItsCommentsAndKeepsATombstone) {
    PartitionEvents p;
    std::vector<FakeEvent> batch = commented_post(p);
    batch.push_back(p.next("PostLikedEvent", "p1", 4));
    batch.push_back(p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Stays", k_day)));
    batch.push_back(p.next("CommentAddedEvent", "p2", 2, comment_added_data("c9", "kept", "erin", k_day)));
    ASSERT_TRUE(all_done(handle(batch)));
    ASSERT_TRUE(all_done(handle({p.next("PostRemovedEvent", "p1", 5)})));

    Model expected;
    expected.posts["p2"] = {"dave", "Stays", k_day, 0, 2};
    expected.comments["c9"] = {"p2", "erin", "kept", k_day, 0};
    expected.removed["p1"] = 5;
    EXPECT_EQ(tables(), expected) << differences(expected, tables());

    // A replayed old event of the removed post is a duplicate; a new one is rejected.
    const auto late = handle({p.next("PostLikedEvent", "p1", 4), p.next("PostLikedEvent", "p1", 6)});
    ASSERT_EQ(late.size(), 2u);
    EXPECT_TRUE(late[0].is_done());
    EXPECT_EQ(late[1].kind(), Outcome::Kind::reject);
    EXPECT_EQ(late[1].reason(), "post p1 was removed at version 5: PostLikedEvent version 6");

    // Created, commented and removed within one batch: only the tombstone remains.
    ASSERT_TRUE(all_done(handle({
        p.next("PostCreatedEvent", "p3", 1, created_data("frank", "Brief", k_day)),
        p.next("CommentAddedEvent", "p3", 2, comment_added_data("c5", "gone", "bob", k_day)),
        p.next("PostRemovedEvent", "p3", 3),
    })));
    expected.removed["p3"] = 3;
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(SqlReadModel, ACommentIdOfAPostRemovedEarlierInTheBatchIsFreeForAnotherPost) {
    PartitionEvents p;
    std::vector<FakeEvent> batch = commented_post(p);
    const std::vector<FakeEvent> then = {
        p.next("PostRemovedEvent", "p1", 4),
        p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Next", k_day)),
        p.next("CommentAddedEvent", "p2", 2, comment_added_data("c1", "again", "erin", k_day)),
        // c2 went with p1: the edit finds no comment and changes nothing.
        p.next("CommentUpdatedEvent", "p2", 3, comment_updated_data("c2", "edited", "erin", k_day)),
        // A comment of a live post stays its own.
        p.next("CommentAddedEvent", "p1", 5, comment_added_data("c3", "late", "bob", k_day)),
    };
    batch.insert(batch.end(), then.begin(), then.end());
    const auto outcomes = handle(batch);
    ASSERT_EQ(outcomes.size(), 8u);
    for (std::size_t i = 0; i < 7; ++i) EXPECT_TRUE(outcomes[i].is_done()) << "event " << i;
    EXPECT_EQ(outcomes[7].kind(), Outcome::Kind::reject);

    Model expected;
    expected.posts["p2"] = {"dave", "Next", k_day, 0, 3};
    expected.comments["c1"] = {"p2", "erin", "again", k_day, 0};
    expected.removed["p1"] = 4;
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(SqlReadModel, UnknownEventTypeOnlyMovesTheVersion) {
    PartitionEvents p;
    EXPECT_TRUE(all_done(handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostPinnedEvent", "p1", 2, R"({"pinned":true})"),
        p.next("PostLikedEvent", "p1", 3),
    })));
    EXPECT_EQ(counter("ignored"), 1u);
    Model expected;
    expected.posts["p1"] = {"alice", "Hello", k_day, 1, 3};
    EXPECT_EQ(tables(), expected);
}

TEST_P(SqlReadModel, TextIsStoredExactly) {
    PartitionEvents p;
    const std::string tricky =
        "quote \" backslash \\ comma , {braces} NULL 'single' \xc3\xbcnic\xc3\xb8"
        "de \xf0\x9f\x98\x80 tab\t newline\n end \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d e\xcc\x81";
    std::string longest_name;  // 100 bytes: the longest name valid event data allows
    for (int i = 0; i < 25; ++i) longest_name += "\xf0\x9f\x98\x80";
    ASSERT_TRUE(all_done(handle({
        p.next("PostCreatedEvent", "p,{1} NULL", 1, created_data("NULL", tricky, k_day)),
        p.next("CommentAddedEvent", "p,{1} NULL", 2, comment_added_data("c,1}", tricky, "\\", k_day)),
        p.next("PostCreatedEvent", "p2", 1, created_data(longest_name, tricky, "2026-11-01T10:00:00z")),
    })));
    Model expected;
    expected.posts["p,{1} NULL"] = {"NULL", tricky, k_day, 0, 2};
    expected.posts["p2"] = {longest_name, tricky, "2026-11-01T10:00:00z", 0, 1};
    expected.comments["c,1}"] = {"p,{1} NULL", "\\", tricky, k_day, 0};
    EXPECT_EQ(tables(), expected) << differences(expected, tables());
}

TEST_P(SqlReadModel, RememberedVersionsThatLagBehindAnotherWriterAreCheckedNotTrusted) {
    // Two groups write one read model (say, during a move to a new group):
    // each instance remembers the versions it committed, which the other
    // one then moves.
    auto a = owner();
    auto b = owner("fanout.other");
    PartitionEvents pa, pb;
    ASSERT_TRUE(all_done(a->handle({pa.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
                                    pa.next("PostLikedEvent", "p1", 2)})));
    ASSERT_TRUE(all_done(b->handle({pb.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
                                    pb.next("PostLikedEvent", "p1", 2), pb.next("PostLikedEvent", "p1", 3)})));
    ASSERT_EQ(tables().posts.at("p1").likes, 2);

    // a remembers p1 at version 2; the database holds 3. Version 4 is no gap.
    EXPECT_EQ(describe(a->handle({pa.next("PostLikedEvent", "p1", 4)})), std::vector<std::string>{"done"});
    EXPECT_EQ(tables().posts.at("p1").likes, 3);
    EXPECT_EQ(a->counter("rejected"), 0u);

    // b remembers 3; a moved it to 4. Version 4 again is a duplicate, not a
    // second like: the guarded write rolls back, the retry reads the database.
    const std::vector<FakeEvent> again = {pb.next("PostLikedEvent", "p1", 4)};
    const auto duplicates_before = b->counter("duplicates");  // its first batch had a's two
    const auto first = b->handle(again);
    EXPECT_EQ(kinds(first), std::vector<std::string>{"retry_later"});
    EXPECT_NE(first[0].reason().find("concurrent writer"), std::string::npos) << first[0].reason();
    EXPECT_EQ(tables().posts.at("p1").likes, 3);
    EXPECT_TRUE(all_done(b->handle(again)));
    EXPECT_EQ(b->counter("duplicates"), duplicates_before + 1);
    EXPECT_EQ(tables().posts.at("p1").likes, 3);
    EXPECT_EQ(b->counter("rejected"), 0u);
    EXPECT_EQ(checkpoint(0, "fanout.other"), 4);
}

}  // namespace
