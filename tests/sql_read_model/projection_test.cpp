// The sql_read_model projection through the plugin's real descriptor (the
// built .so), on SQLite and on the real PostgreSQL of FANOUT_TEST_PG: every
// event type, removal and tombstones, idempotence, rejects.
#include <random>

#include <gtest/gtest.h>

#include "events.hpp"
#include "model.hpp"
#include "read_model_test.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

class SqlReadModel : public ReadModelTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqlReadModel, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         backend_name);

TEST_P(SqlReadModel, ProjectsEveryEventTypeInOneBatch) {
    auto rm = owner();
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
    const auto outcomes = rm->handle(batch);
    EXPECT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));

    Model expected;
    expected.posts["p1"] = {"alice", "Hello again", k_day, 2, 8};
    expected.posts["p2"] = {"dave", "Second", "2026-11-01T11:00:00.000Z", 0, 1};
    expected.comments["c1"] = {"p1", "bob", "Nice!", "2026-11-01T10:03:00.000Z", 1};
    const Model actual = db_->model();
    EXPECT_EQ(actual, expected) << differences(expected, actual);
    EXPECT_EQ(rm->counter("applied"), 9u);
    EXPECT_EQ(db_->checkpoint(k_group, k_topic, 0), 9);
}

TEST_P(SqlReadModel, ProjectsEveryEventTypeOverStoredRows) {
    auto rm = owner();
    PartitionEvents p;
    ASSERT_TRUE(all_done(rm->handle(
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
        const auto outcomes = rm->handle({e});
        EXPECT_TRUE(all_done(outcomes)) << e.type() << ": " << ::testing::PrintToString(describe(outcomes));
    }
    Model expected;
    expected.posts["p1"] = {"alice", "Edited", k_day, 2, 8};
    expected.posts["p2"] = {"dave", "Other", k_day, 0, 1};
    expected.comments["c2"] = {"p1", "carol", "Second!", "2026-11-01T10:04:00.000Z", 1};
    const Model actual = db_->model();
    EXPECT_EQ(actual, expected) << differences(expected, actual);
}

TEST_P(SqlReadModel, PostRemovedDeletesThePostAndItsCommentsAndKeepsATombstone) {
    auto rm = owner();
    PartitionEvents p;
    ASSERT_TRUE(all_done(rm->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", "a", "bob", k_day)),
        p.next("CommentAddedEvent", "p1", 3, comment_added_data("c2", "b", "bob", k_day)),
        p.next("PostLikedEvent", "p1", 4),
        p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Stays", k_day)),
        p.next("CommentAddedEvent", "p2", 2, comment_added_data("c9", "kept", "erin", k_day)),
    })));
    ASSERT_TRUE(all_done(rm->handle({p.next("PostRemovedEvent", "p1", 5)})));

    Model expected;
    expected.posts["p2"] = {"dave", "Stays", k_day, 0, 2};
    expected.comments["c9"] = {"p2", "erin", "kept", k_day, 0};
    expected.removed["p1"] = 5;
    EXPECT_EQ(db_->model(), expected) << differences(expected, db_->model());

    // A replayed old event of the removed post is a duplicate; a new one is rejected.
    const auto late = rm->handle({p.next("PostLikedEvent", "p1", 4), p.next("PostLikedEvent", "p1", 6)});
    ASSERT_EQ(late.size(), 2u);
    EXPECT_TRUE(late[0].is_done());
    EXPECT_EQ(late[1].kind(), Outcome::Kind::reject);
    EXPECT_EQ(late[1].reason(), "post p1 was removed at version 5: PostLikedEvent version 6");

    // Created, commented and removed within one batch: only the tombstone remains.
    ASSERT_TRUE(all_done(rm->handle({
        p.next("PostCreatedEvent", "p3", 1, created_data("frank", "Brief", k_day)),
        p.next("CommentAddedEvent", "p3", 2, comment_added_data("c5", "gone", "bob", k_day)),
        p.next("PostRemovedEvent", "p3", 3),
    })));
    expected.removed["p3"] = 3;
    EXPECT_EQ(db_->model(), expected) << differences(expected, db_->model());
}

TEST_P(SqlReadModel, ACommentIdOfAPostRemovedEarlierInTheBatchIsFreeForAnotherPost) {
    auto rm = owner();
    PartitionEvents p;
    const auto outcomes = rm->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("CommentAddedEvent", "p1", 2, comment_added_data("c1", "first", "bob", k_day)),
        p.next("CommentAddedEvent", "p1", 3, comment_added_data("c2", "second", "bob", k_day)),
        p.next("PostRemovedEvent", "p1", 4),
        p.next("PostCreatedEvent", "p2", 1, created_data("dave", "Next", k_day)),
        p.next("CommentAddedEvent", "p2", 2, comment_added_data("c1", "again", "erin", k_day)),
        // c2 went with p1: the edit finds no comment and changes nothing.
        p.next("CommentUpdatedEvent", "p2", 3, comment_updated_data("c2", "edited", "erin", k_day)),
        // A comment of a live post stays its own.
        p.next("CommentAddedEvent", "p1", 5, comment_added_data("c3", "late", "bob", k_day)),
    });
    ASSERT_EQ(outcomes.size(), 8u);
    for (std::size_t i = 0; i < 7; ++i) EXPECT_TRUE(outcomes[i].is_done()) << "event " << i;
    EXPECT_EQ(outcomes[7].kind(), Outcome::Kind::reject);

    Model expected;
    expected.posts["p2"] = {"dave", "Next", k_day, 0, 3};
    expected.comments["c1"] = {"p2", "erin", "again", k_day, 0};
    expected.removed["p1"] = 4;
    EXPECT_EQ(db_->model(), expected) << differences(expected, db_->model());
}

TEST_P(SqlReadModel, ReplayingABatchTwiceChangesNothing) {
    EventGenerator generator(40);
    ReferenceModel reference;
    PartitionEvents p;
    std::vector<FakeEvent> batch;
    for (int i = 0; i < 1000; ++i) {
        const GeneratedEvent g = generator.next();
        reference.apply(g.value);
        batch.push_back(p.envelope(g.value, g.key));
    }
    auto rm = owner();
    ASSERT_TRUE(all_done(rm->handle(batch)));
    const Model first = db_->model();
    ASSERT_EQ(first, reference.model()) << differences(reference.model(), first);
    EXPECT_EQ(rm->counter("applied"), 1000u);

    // The host redelivers it (its Kafka offset lagged behind the checkpoint).
    EXPECT_TRUE(all_done(rm->handle(batch)));
    EXPECT_EQ(db_->model(), first);
    EXPECT_EQ(rm->counter("duplicates"), 1000u);
    EXPECT_EQ(rm->counter("applied"), 1000u);

    // A restarted instance of the group resumes after it.
    auto restarted = plugin();
    EXPECT_EQ(restarted->assign(k_topic, {0}), std::vector<std::int64_t>{1000});
    EXPECT_TRUE(all_done(restarted->handle(batch)));
    EXPECT_EQ(db_->model(), first);

    // Another group, no checkpoint: the whole stream again, a no-op by version.
    auto other = owner("fanout.other-group");
    EXPECT_TRUE(all_done(other->handle(batch)));
    EXPECT_EQ(db_->model(), first) << differences(first, db_->model());
    EXPECT_EQ(other->counter("duplicates"), 1000u);
    EXPECT_EQ(other->counter("applied"), 0u);
}

TEST_P(SqlReadModel, BatchesOfAnySizeOverSeveralPartitionsGiveTheReferenceModel) {
    EventGenerator generator(60, 7);
    ReferenceModel reference;
    std::vector<PartitionEvents> partitions = {PartitionEvents(0), PartitionEvents(1), PartitionEvents(2)};
    std::vector<FakeEvent> stream;
    for (int i = 0; i < 3000; ++i) {
        const GeneratedEvent g = generator.next();
        reference.apply(g.value);
        const std::size_t partition = std::hash<std::string>{}(g.key) % 3;  // key -> partition, like Kafka
        stream.push_back(partitions[partition].envelope(g.value, g.key));
    }
    auto rm = plugin();
    rm->assign(k_topic, {0, 1, 2});
    std::mt19937 rng(3);
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min<std::size_t>(stream.size() - at, 1 + rng() % 300);
        const std::vector<FakeEvent> batch(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                           stream.begin() + static_cast<std::ptrdiff_t>(at + n));
        ASSERT_TRUE(all_done(rm->handle(batch))) << "batch at " << at;
        at += n;
    }
    const Model actual = db_->model();
    EXPECT_EQ(actual, reference.model()) << differences(reference.model(), actual);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(db_->checkpoint(k_group, k_topic, i), partitions[static_cast<std::size_t>(i)].next_offset());
    }
}

TEST_P(SqlReadModel, VersionGapIsRejectedWithAReason) {
    auto rm = owner();
    PartitionEvents p;
    const auto outcomes = rm->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostCreatedEvent", "p2", 2, created_data("bob", "Late", k_day)),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "done",
                                      "reject: version gap: post p1 is at version 1, PostLikedEvent version 3",
                                      "reject: version gap: post p2 does not exist, PostCreatedEvent version 2",
                                  }));
    EXPECT_EQ(rm->counter("rejected"), 2u);
    EXPECT_EQ(rm->counter("applied"), 1u);
    Model expected;
    expected.posts["p1"] = {"alice", "Hello", k_day, 0, 1};
    EXPECT_EQ(db_->model(), expected);
}

TEST_P(SqlReadModel, EventForUnknownOrExistingPostIsRejected) {
    auto rm = owner();
    PartitionEvents p;
    const auto outcomes = rm->handle({
        p.next("PostLikedEvent", "ghost", 2),
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostCreatedEvent", "p1", 2, created_data("alice", "Again", k_day)),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "reject: unknown post ghost: PostLikedEvent version 2",
                                      "done",
                                      "reject: post p1 already exists: PostCreatedEvent version 2",
                                  }));
}

TEST_P(SqlReadModel, MalformedEventsAreRejectedAndLaterEventsApplied) {
    const std::string k_text =
        "data.message must be a text: 1 to 65536 bytes of UTF-8 without NUL characters, not blank";
    auto rm = owner();
    PartitionEvents p;
    const auto outcomes = rm->handle({
        p.raw("not json at all"),
        p.raw(R"({"type":"PostLikedEvent","aggregateId":"p1","version":1})"),
        p.next("PostCreatedEvent", "p1", 1, R"({"message":"no author","datePosted":"x"})"),
        p.next("PostCreatedEvent", "p2", 1, R"({"author":"a","message":"nul \u0000 inside","datePosted":"x"})"),
        p.next("PostCreatedEvent", "p3", 1, "{\"author\":\"a\",\"message\":\"bad \xff utf-8\",\"datePosted\":\"x\"}"),
        p.next("PostCreatedEvent", "p4", 1, created_data("alice", "Fine", k_day)),
        p.next("CommentAddedEvent", "p4", 2, R"({"commentId":"c1","comment":"x","username":"u"})"),
    });
    EXPECT_EQ(describe(outcomes), (std::vector<std::string>{
                                      "reject: malformed envelope: not a JSON event envelope",
                                      "reject: malformed envelope: not a JSON event envelope",
                                      "reject: PostCreatedEvent: data.author is missing or not a string",
                                      "reject: PostCreatedEvent: " + k_text + " (found a NUL character at byte 4)",
                                      "reject: PostCreatedEvent: " + k_text + " (found invalid UTF-8 at byte 4)",
                                      "done",
                                      "reject: CommentAddedEvent: data.commentDate is missing or not a string",
                                  }));
    Model expected;
    expected.posts["p4"] = {"alice", "Fine", k_day, 0, 1};
    EXPECT_EQ(db_->model(), expected);
}

TEST_P(SqlReadModel, UnknownEventTypeOnlyMovesTheVersion) {
    auto rm = owner();
    PartitionEvents p;
    EXPECT_TRUE(all_done(rm->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostPinnedEvent", "p1", 2, R"({"pinned":true})"),
        p.next("PostLikedEvent", "p1", 3),
    })));
    EXPECT_EQ(rm->counter("ignored"), 1u);
    Model expected;
    expected.posts["p1"] = {"alice", "Hello", k_day, 1, 3};
    EXPECT_EQ(db_->model(), expected);
}

TEST_P(SqlReadModel, TextIsStoredExactly) {
    auto rm = owner();
    PartitionEvents p;
    const std::string tricky =
        "quote \" backslash \\ comma , {braces} NULL 'single' \xc3\xbcnic\xc3\xb8"
        "de \xf0\x9f\x98\x80 tab\t newline\n end \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d e\xcc\x81";
    std::string longest_name;  // 100 bytes: the longest name valid event data allows
    for (int i = 0; i < 25; ++i) longest_name += "\xf0\x9f\x98\x80";
    ASSERT_TRUE(all_done(rm->handle({
        p.next("PostCreatedEvent", "p,{1} NULL", 1, created_data("NULL", tricky, k_day)),
        p.next("CommentAddedEvent", "p,{1} NULL", 2, comment_added_data("c,1}", tricky, "\\", k_day)),
        p.next("PostCreatedEvent", "p2", 1, created_data(longest_name, tricky, "2026-11-01T10:00:00z")),
    })));
    Model expected;
    expected.posts["p,{1} NULL"] = {"NULL", tricky, k_day, 0, 2};
    expected.posts["p2"] = {longest_name, tricky, "2026-11-01T10:00:00z", 0, 1};
    expected.comments["c,1}"] = {"p,{1} NULL", "\\", tricky, k_day, 0};
    EXPECT_EQ(db_->model(), expected) << differences(expected, db_->model());
}

// What post-command refuses before it appends (fanout/common/event_data.hpp),
// the read model refuses by the same rule, naming the field and the rule.
TEST_P(SqlReadModel, DataThatIsNotValidEventDataIsRejectedByTheSharedRule) {
    auto rm = owner();
    PartitionEvents p;
    const auto outcomes = rm->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data(std::string(101, 'a'), "m", k_day)),
        p.next("PostCreatedEvent", "p2", 1, created_data("   ", "m", k_day)),
        p.next("PostCreatedEvent", "p3", 1,
               R"({"author":"a","message":"lone \udc00","datePosted":"2026-11-01T10:00:00Z"})"),
        p.next("PostCreatedEvent", "p4", 1, created_data("a", "m", "2026-11-01")),
        p.next("PostCreatedEvent", "p\\u0009id", 1, created_data("a", "m", k_day)),
        p.next("PostCreatedEvent", "p5", 1, created_data("a", "m", k_day)),
        p.next("MessageUpdatedEvent", "p5", 2, message_data(std::string(65537, 'x'))),
        p.next("CommentAddedEvent", "p5", 2, comment_added_data("", "c", "u", k_day)),
        p.next("CommentAddedEvent", "p5", 2, comment_added_data("c1", "c", std::string("u\0v", 3), k_day)),
        p.next("CommentAddedEvent", "p5", 2, comment_added_data("c1", "c", "u", k_day)),
    });
    const auto reasons = describe(outcomes);
    const std::vector<std::string> expected_starts = {
        "reject: PostCreatedEvent: data.author must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not "
        "blank (found more than 100 bytes)",
        "reject: PostCreatedEvent: data.author must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not "
        "blank (found only whitespace)",
        "reject: PostCreatedEvent: data.message must be a text: 1 to 65536 bytes of UTF-8 without NUL characters, "
        "not blank (found an unpaired UTF-16 surrogate at byte 5",
        "reject: PostCreatedEvent: data.datePosted must be a UTC timestamp in RFC 3339 form",
        "reject: malformed envelope: missing or invalid aggregateId",
        "done",
        "reject: MessageUpdatedEvent: data.message must be a text",
        "reject: CommentAddedEvent: data.commentId must be an id: 1 to 128 bytes of UTF-8 without control "
        "characters (found an empty string)",
        "reject: CommentAddedEvent: data.username must be a name",
        "done",
    };
    ASSERT_EQ(reasons.size(), expected_starts.size());
    for (std::size_t i = 0; i < reasons.size(); ++i)
        EXPECT_EQ(reasons[i].rfind(expected_starts[i], 0), 0u) << reasons[i];
}

}  // namespace
