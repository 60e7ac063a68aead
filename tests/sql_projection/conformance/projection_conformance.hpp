#pragma once
// The guarantees of the SQL projection engine (fanout/sql/projection_plugin.hpp),
// written once for any projection of the post events and run through the
// plugin's real descriptor (the built .so, loaded as fanoutd loads it):
//
//   ProjectionConformance<OnBackend<Traits, backend>>, on SQLite and on the
//   PostgreSQL of FANOUT_TEST_PG: checkpoints loaded and replays skipped, a
//   stale writer fenced, a rejected event holding its checkpoint, a stream
//   replayed, batches of any size, revocation mid-batch and reassignment,
//   transient errors retried and never dead-lettered, a reopened schema,
//   invalid events rejected with their reason (verdict_cases.hpp).
//
//   ProjectionConnection<Traits> (projection_connection.hpp): a killed
//   PostgreSQL connection, an unreachable server, unusable databases,
//   invalid options.
//
// A projection's tests instantiate both (Traits: projection_traits.hpp):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionConformance,
//                                  OnBothBackends<ReadModelTraits>, BackendNames);
//   INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionConnection,
//                                  ::testing::Types<ReadModelTraits>, PluginNames);
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "projection_connection.hpp"
#include "projection_generations.hpp"
#include "projection_test.hpp"
#include "verdict_cases.hpp"

namespace fanout::test {

// --- On both backends -------------------------------------------------------------

template <class Case>
class ProjectionConformance : public ProjectionTest<typename Case::Traits> {
protected:
    void SetUp() override { this->db_ = std::make_unique<TestDatabase>(Case::backend); }
};
TYPED_TEST_SUITE_P(ProjectionConformance);

TYPED_TEST_P(ProjectionConformance, CheckpointLoadReturnsWhatWasCommittedAndSkipsWhatItCovers) {
    auto first = this->plugin();
    EXPECT_EQ(first->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{-1, -1, -1}));
    PartitionEvents p0(0), p1(1);
    std::vector<FakeEvent> batch;
    for (int i = 0; i < 10; ++i) {
        batch.push_back(p0.next("PostCreatedEvent", "a" + std::to_string(i), 1, created_data("x", "y", k_day)));
        if (i < 5)
            batch.push_back(p1.next("PostCreatedEvent", "b" + std::to_string(i), 1, created_data("x", "y", k_day)));
    }
    ASSERT_TRUE(all_done(first->handle(batch)));

    auto second = this->plugin();
    EXPECT_EQ(second->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{10, 5, -1}));
    auto other_group = this->plugin("fanout.elsewhere");
    EXPECT_EQ(other_group->assign(k_topic, {0, 1}), (std::vector<std::int64_t>{-1, -1}));

    // Kafka's committed offset lagged: offsets 5..14 arrive; 5..9 are skipped
    // as already applied, 10..14 applied.
    PartitionEvents replay(0, 5);
    std::vector<FakeEvent> overlap;
    for (int i = 5; i < 15; ++i)
        overlap.push_back(replay.next("PostCreatedEvent", "a" + std::to_string(i), 1, created_data("x", "y", k_day)));
    ASSERT_TRUE(all_done(second->handle(overlap)));
    EXPECT_EQ(second->counter("duplicates"), 5u);
    EXPECT_EQ(second->counter("applied"), 5u);
    EXPECT_EQ(this->checkpoint(0), 15);
    batch.insert(batch.end(), overlap.begin() + 5, overlap.end());
    this->expect_tables(this->reference_of(batch));
}

TYPED_TEST_P(ProjectionConformance, StaleWriterIsFencedAndItsBatchRolledBack) {
    auto stale = this->owner();
    PartitionEvents p;
    std::vector<FakeEvent> applied = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("PostLikedEvent", "p1", 3),
    };
    ASSERT_TRUE(all_done(stale->handle(applied)));
    // The partition moves to another instance of the group, which goes on.
    auto current = this->plugin();
    ASSERT_EQ(current->assign(k_topic, {0}), std::vector<std::int64_t>{3});
    const std::vector<FakeEvent> moved_on = {p.next("PostLikedEvent", "p1", 4), p.next("PostLikedEvent", "p1", 5)};
    ASSERT_TRUE(all_done(current->handle(moved_on)));
    applied.insert(applied.end(), moved_on.begin(), moved_on.end());
    const auto before = this->tables();
    ASSERT_EQ(before.total_likes(), 4);

    // The stale instance still expects offset 3; its next batch (a new post,
    // which no version guard stops, and new versions of p1) must not land.
    const std::vector<FakeEvent> next = {
        p.next("PostCreatedEvent", "p2", 1, created_data("alice", "Zombie", k_day)),
        p.next("CommentAddedEvent", "p2", 2, comment_added_data("c1", "boo", "bob", k_day)),
        p.next("PostLikedEvent", "p1", 6),
        p.next("MessageUpdatedEvent", "p1", 7, message_data("zombie")),
    };
    const auto fenced = stale->handle(next);
    EXPECT_EQ(kinds(fenced), std::vector<std::string>(next.size(), "retry_later"));
    EXPECT_NE(fenced[0].reason().find("fenced"), std::string::npos) << fenced[0].reason();
    EXPECT_EQ(stale->counter("fenced"), 1u);
    this->expect_tables(before);
    EXPECT_EQ(this->checkpoint(), 5);

    // Replayed old events from it change nothing either.
    EXPECT_EQ(kinds(stale->handle({p.next("PostLikedEvent", "p1", 4)})), std::vector<std::string>{"retry_later"});
    this->expect_tables(before);

    EXPECT_TRUE(all_done(current->handle(next)));
    applied.insert(applied.end(), next.begin(), next.end());
    this->expect_tables(this->reference_of(applied));
    EXPECT_EQ(this->tables().total_likes(), 5);
    EXPECT_EQ(this->checkpoint(), 9);
}

TYPED_TEST_P(ProjectionConformance, RejectedEventHoldsTheCheckpointUntilTheHostMovesPastIt) {
    auto owner = this->owner();
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("PostLikedEvent", "ghost", 2),
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostCreatedEvent", "p2", 1, created_data("bob", "Hi", k_day)),
    };
    EXPECT_EQ(kinds(owner->handle(batch)), (std::vector<std::string>{"done", "done", "reject", "done", "done"}));
    EXPECT_EQ(this->checkpoint(), 2) << "stops at the rejected event";
    std::vector<FakeEvent> valid = {batch[0], batch[1], batch[3], batch[4]};
    const auto applied = this->reference_of(valid);
    this->expect_tables(applied);
    EXPECT_EQ(applied.total_likes(), 2);

    // The host could not dead-letter it and redelivers from it: rejected
    // again (not skipped as a replay), the rest changes nothing.
    const std::vector<FakeEvent> again(batch.begin() + 2, batch.end());
    EXPECT_EQ(kinds(owner->handle(again)), (std::vector<std::string>{"reject", "done", "done"}));
    this->expect_tables(applied);

    // Dead-lettered: the next event moves the checkpoint past it.
    valid.push_back(p.next("PostLikedEvent", "p2", 2));
    EXPECT_TRUE(all_done(owner->handle({valid.back()})));
    EXPECT_EQ(this->checkpoint(), 6);
    this->expect_tables(this->reference_of(valid));
}

TYPED_TEST_P(ProjectionConformance, ReplayingTheStreamChangesNothing) {
    const std::vector<FakeEvent> batch = generated_stream(1000, 40, 42, 1);
    auto owner = this->owner();
    ASSERT_TRUE(all_done(owner->handle(batch)));
    const auto first = this->tables();
    ASSERT_TRUE(first == this->reference_of(batch)) << differences(this->reference_of(batch), first);
    ASSERT_GT(first.total_likes(), 300);
    EXPECT_EQ(owner->counter("applied"), 1000u);

    // The host redelivers it (its Kafka offset lagged behind the checkpoint).
    EXPECT_TRUE(all_done(owner->handle(batch)));
    this->expect_tables(first);
    EXPECT_EQ(owner->counter("duplicates"), 1000u);
    EXPECT_EQ(owner->counter("applied"), 1000u);

    // A restarted instance of the group resumes after it.
    auto restarted = this->plugin();
    EXPECT_EQ(restarted->assign(k_topic, {0}), std::vector<std::int64_t>{1000});
    EXPECT_TRUE(all_done(restarted->handle(batch)));
    this->expect_tables(first);

    // Another group, no checkpoint: the whole stream again, a no-op by version.
    auto other = this->owner("fanout.other-group");
    EXPECT_TRUE(all_done(other->handle(batch)));
    this->expect_tables(first);
    EXPECT_EQ(other->counter("duplicates"), 1000u);
    EXPECT_EQ(other->counter("applied"), 0u);
}

TYPED_TEST_P(ProjectionConformance, BatchesOfAnySizeOverSeveralPartitionsGiveTheReference) {
    const std::vector<FakeEvent> stream = generated_stream(3000, 60, 7, 3);
    auto owner = this->plugin();
    owner->assign(k_topic, {0, 1, 2});
    std::mt19937 rng(3);
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min<std::size_t>(stream.size() - at, 1 + rng() % 300);
        const std::vector<FakeEvent> batch(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                           stream.begin() + static_cast<std::ptrdiff_t>(at + n));
        ASSERT_TRUE(all_done(owner->handle(batch))) << "batch at " << at;
        at += n;
    }
    this->expect_tables(this->reference_of(stream));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(this->checkpoint(i), static_cast<std::int64_t>(of_partition(stream, i).size()));
}

TYPED_TEST_P(ProjectionConformance, RevokedMidBatchThePartitionMovesToAnotherInstanceAndBack) {
    const std::vector<FakeEvent> stream = generated_stream(1200, 30, 11, 3);
    const std::size_t half = stream.size() / 2;
    auto first = this->plugin();
    first->assign(k_topic, {0, 1, 2});
    const std::vector<FakeEvent> first_half(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(half));
    ASSERT_TRUE(all_done(first->handle(first_half)));
    const std::int64_t moved_at = this->checkpoint(2);
    ASSERT_GT(moved_at, 50);

    // Partition 2 moves to another instance. Kafka's committed offset lags
    // the checkpoint, so the new owner is handed a batch that starts in the
    // middle of what the first one applied: that part is skipped.
    first->revoke(k_topic, {2});
    auto second = this->plugin();
    ASSERT_EQ(second->assign(k_topic, {2}), std::vector<std::int64_t>{moved_at});
    std::vector<FakeEvent> rest_of_2 = of_partition(stream, 2, moved_at - 50);
    const std::vector<FakeEvent> kept_back(rest_of_2.end() - 10, rest_of_2.end());
    rest_of_2.resize(rest_of_2.size() - 10);
    ASSERT_TRUE(all_done(second->handle(rest_of_2)));
    EXPECT_EQ(second->counter("duplicates"), 50u);
    EXPECT_EQ(second->counter("fenced"), 0u);
    for (int partition : {0, 1})
        ASSERT_TRUE(all_done(first->handle(of_partition(stream, partition, this->checkpoint(partition)))));

    // Back to the first: it starts where the second stopped, not where it did.
    second->revoke(k_topic, {2});
    EXPECT_EQ(first->assign(k_topic, {2}), std::vector<std::int64_t>{kept_back.front().offset()});
    EXPECT_TRUE(all_done(first->handle(kept_back)));
    EXPECT_EQ(first->counter("fenced"), 0u);
    EXPECT_EQ(first->counter("duplicates"), 0u);
    this->expect_tables(this->reference_of(stream));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(this->checkpoint(i), static_cast<std::int64_t>(of_partition(stream, i).size()));
}

TYPED_TEST_P(ProjectionConformance, TransientErrorsAreRetriedNeverRejectedNorDeadLettered) {
    auto owner = this->owner(this->group(), "lock_timeout_ms: 200\n");
    fanout::testing::BatchDriver driver(owner->plugin(), 10, /*max_attempts=*/1000);
    PartitionEvents p;
    const std::vector<FakeEvent> events = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
    };
    for (const FakeEvent& e : events) driver.publish(e);
    driver.assign({{k_topic, 0}});

    // Another session holds the write lock past the plugin's lock timeout.
    soci::session& other = this->db_->session();
    this->lock_checkpoints(other);
    for (int round = 0; round < 3; ++round) {
        driver.run();
        for (const FakeEvent& e : events) {
            const auto outcome = driver.outcome(k_topic, 0, e.offset());
            ASSERT_TRUE(outcome);
            EXPECT_EQ(outcome->kind(), Outcome::Kind::retry_later);
            EXPECT_NE(outcome->reason().find("database error"), std::string::npos) << outcome->reason();
        }
    }
    other << "ROLLBACK";
    EXPECT_GE(owner->counter("db_errors"), 3u);
    EXPECT_EQ(owner->counter("rejected"), 0u);

    driver.run();  // the same connection goes on
    for (const FakeEvent& e : events) EXPECT_TRUE(driver.outcome(k_topic, 0, e.offset())->is_done());
    EXPECT_TRUE(driver.dead_letters().empty());
    EXPECT_EQ(owner->counter("rejected"), 0u);
    this->expect_tables(this->reference_of(events));
    EXPECT_EQ(this->checkpoint(), 2);
}

TYPED_TEST_P(ProjectionConformance, ReopeningKeepsTheTablesAndTheRecordedSchemaVersion) {
    using Traits = typename TypeParam::Traits;
    PartitionEvents p;
    const std::vector<FakeEvent> events = {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hi", k_day))};
    ASSERT_TRUE(all_done(this->owner()->handle(events)));
    auto reopened = this->owner();  // migrates again over existing tables
    int version = 0, history = 0;
    const std::string component = Traits::k_names.schema_component;
    this->db_->session() << "SELECT version FROM " + std::string(Traits::k_names.version_table) +
                                " WHERE component = :c",
        soci::into(version), soci::use(component);
    this->db_->session() << "SELECT COUNT(*) FROM fanout_schema_history WHERE component = :c", soci::into(history),
        soci::use(component);
    EXPECT_EQ(version, Traits::k_names.schema_version);
    EXPECT_EQ(history, Traits::k_names.schema_version) << "one history row per migration";
    this->expect_tables(this->reference_of(events));
    EXPECT_EQ(this->checkpoint(), 1);
}

TYPED_TEST_P(ProjectionConformance, InvalidEventsAreRejectedWithTheirReasonAndChangeNothing) {
    for (const VerdictCase& c : verdict_cases()) {
        SCOPED_TRACE(c.name);
        this->db_ = std::make_unique<TestDatabase>(TypeParam::backend);
        auto owner = this->owner();
        std::vector<FakeEvent> applied;
        std::uint64_t done = 0, duplicates = 0, rejected = 0;
        std::int64_t checkpoint = 0;
        for (const std::vector<Judged>& batch : c.batches) {
            std::vector<FakeEvent> events;
            for (const Judged& j : batch) events.push_back(j.event);
            const std::vector<std::string> verdicts = describe(owner->handle(events));
            ASSERT_EQ(verdicts.size(), batch.size());
            checkpoint = events.back().offset() + 1;
            for (std::size_t i = batch.size(); i-- > 0;) {
                EXPECT_TRUE(matches(verdicts[i], batch[i].verdict)) << verdicts[i] << "\nexpected " << batch[i].verdict;
                if (batch[i].verdict.starts_with("reject")) {
                    ++rejected;
                    checkpoint = events[i].offset();  // stops at the first rejected event of the batch
                }
            }
            for (const Judged& j : batch) {
                if (j.verdict == "done") applied.push_back(j.event), ++done;
                if (j.verdict == "duplicate") ++duplicates;
            }
        }
        EXPECT_EQ(owner->counter("applied"), done);
        EXPECT_EQ(owner->counter("duplicates"), duplicates);
        EXPECT_EQ(owner->counter("rejected"), rejected);
        EXPECT_EQ(this->checkpoint(), checkpoint);
        this->expect_tables(this->reference_of(applied));
    }
}

TYPED_TEST_P(ProjectionConformance, ADatabaseOfThePreviousReleaseOpensAndKeepsWorking) {
    // Written by the release before the engine (previous_release/*.sql): the
    // tables, the version row, checkpoints; no migration history.
    constexpr const char* k_group = "fanout.previous-release";
    soci::session& db = this->db_->session();
    const std::string fixture = read_file(std::string(FANOUT_CONFORMANCE_FIXTURES) + "/" +
                                          TypeParam::Traits::k_names.schema_component + ".sql");
    std::string statement;
    for (std::size_t at = 0, end; at < fixture.size(); at = end + 1) {
        end = fixture.find('\n', at);
        if (end == std::string::npos) end = fixture.size();
        const std::string line = fixture.substr(at, end - at);
        if (line.starts_with("--") || line == "BEGIN TRANSACTION;" || line == "COMMIT;") continue;
        statement += line + "\n";
        if (line.ends_with(";")) {
            db << statement;
            statement.clear();
        }
    }
    const auto before = this->tables();
    std::vector<std::int64_t> stored;
    for (int p = 0; p < 4; ++p) stored.push_back(this->checkpoint(p, k_group));
    ASSERT_EQ(stored, (std::vector<std::int64_t>{41, 64, 55, 40}));

    auto plugin = this->plugin(k_group);
    EXPECT_EQ(plugin->assign(k_topic, {0, 1, 2, 3}), stored) << "the checkpoints are where they were";
    this->expect_tables(before);
    int version = 0, history = 0;
    db << "SELECT version FROM " + std::string(TypeParam::Traits::k_names.version_table) + " WHERE component = :c",
        soci::into(version), soci::use(std::string(TypeParam::Traits::k_names.schema_component));
    db << "SELECT COUNT(*) FROM fanout_schema_history WHERE component = :c", soci::into(history),
        soci::use(std::string(TypeParam::Traits::k_names.schema_component));
    EXPECT_EQ(version, TypeParam::Traits::k_names.schema_version);
    EXPECT_EQ(history, TypeParam::Traits::k_names.schema_version) << "the migrations it had are recorded";

    // A record below a checkpoint is a replay; the next one applies.
    PartitionEvents replayed(0, 40), next(0, 41);
    EXPECT_TRUE(all_done(plugin->handle({replayed.next("PostLikedEvent", "anything", 99)})));
    EXPECT_EQ(plugin->counter("duplicates"), 1u);
    this->expect_tables(before);
    EXPECT_TRUE(all_done(plugin->handle({next.next("PostCreatedEvent", "after-upgrade", 1,
                                                   created_data("carol", "Still here", k_day))})));
    EXPECT_EQ(plugin->counter("applied"), 1u);
    EXPECT_EQ(this->checkpoint(0, k_group), 42);
    EXPECT_FALSE(this->tables() == before);
}

TYPED_TEST_P(ProjectionConformance, GroupCommitHoldsBusyBatchesInOneTransactionThatACrashLosesWhole) {
    const std::vector<FakeEvent> stream = generated_stream(300, 20, 7, 1);
    const std::vector<FakeEvent> first(stream.begin(), stream.begin() + 100);
    const std::vector<FakeEvent> second(stream.begin() + 100, stream.begin() + 200);
    const std::vector<FakeEvent> third(stream.begin() + 200, stream.end());
    auto owner = this->owner();
    // More events wait after each batch (as under load): one open transaction.
    ASSERT_TRUE(all_done(owner->handle(first, /*idle=*/false)));
    ASSERT_TRUE(all_done(owner->handle(second, /*idle=*/false)));
    EXPECT_EQ(this->checkpoint(), -1) << "nothing committed yet";
    this->expect_tables(this->reference_of({}));
    EXPECT_EQ(owner->counter("commits"), 0u);

    // A crash (the instance goes without a word): the work and the
    // checkpoints are lost together; the next instance starts before them.
    owner.reset();
    auto next = this->owner();
    EXPECT_EQ(this->checkpoint(), -1);
    ASSERT_TRUE(all_done(next->handle(first, false)));
    ASSERT_TRUE(all_done(next->handle(second, false)));
    ASSERT_TRUE(all_done(next->handle(third, /*idle=*/true)));  // the stream went idle: commit
    EXPECT_EQ(this->checkpoint(), 300);
    this->expect_tables(this->reference_of(stream));
    EXPECT_EQ(next->counter("commits"), 1u);
    EXPECT_EQ(next->counter("batches"), 3u);
    EXPECT_EQ(next->counter("applied"), 300u);
    EXPECT_EQ(next->losses(), 0u);
}

TYPED_TEST_P(ProjectionConformance, GroupCommitCommitsABusyStreamAtItsLimits) {
    const std::vector<FakeEvent> stream = generated_stream(300, 20, 8, 1);
    const auto part = [&](int from, int to) {
        return std::vector<FakeEvent>(stream.begin() + from, stream.begin() + to);
    };
    auto owner = this->owner(this->group(), "commit_max_events: 150\ncommit_max_delay_ms: 60000\n");
    ASSERT_TRUE(all_done(owner->handle(part(0, 100), false)));
    EXPECT_EQ(this->checkpoint(), -1);
    ASSERT_TRUE(all_done(owner->handle(part(100, 200), false)));  // 200 events >= 150: commit
    EXPECT_EQ(this->checkpoint(), 200);
    this->expect_tables(this->reference_of(part(0, 200)));
    ASSERT_TRUE(all_done(owner->handle(part(200, 250), false)));
    EXPECT_EQ(this->checkpoint(), 200);
    owner->settle(/*idle=*/true);  // a round with nothing to hand over
    EXPECT_EQ(this->checkpoint(), 250);
    EXPECT_EQ(owner->counter("commits"), 2u);
    owner.reset();

    // No delay allowed: every batch commits on its own.
    auto eager = this->owner(this->group(), "commit_max_delay_ms: 0\n");
    ASSERT_TRUE(all_done(eager->handle(part(250, 300), false)));
    EXPECT_EQ(this->checkpoint(), 300);
    this->expect_tables(this->reference_of(stream));
}

TYPED_TEST_P(ProjectionConformance, GroupCommitCommitsBeforeAnAssignmentAndARevocation) {
    const std::vector<FakeEvent> stream = generated_stream(200, 20, 9, 1);
    const std::vector<FakeEvent> first(stream.begin(), stream.begin() + 100);
    const std::vector<FakeEvent> second(stream.begin() + 100, stream.end());
    auto owner = this->owner();
    ASSERT_TRUE(all_done(owner->handle(first, /*idle=*/false)));
    EXPECT_EQ(this->checkpoint(), -1);
    // Loading checkpoints is a transaction of its own: the open one commits first.
    EXPECT_EQ(owner->assign(k_topic, {0, 1}), (std::vector<std::int64_t>{100, k_no_checkpoint}));
    EXPECT_EQ(this->checkpoint(), 100);
    ASSERT_TRUE(all_done(owner->handle(second, /*idle=*/false)));
    EXPECT_EQ(this->checkpoint(), 100);
    // Before a partition's next owner writes its rows.
    owner->revoke(k_topic, {1});
    EXPECT_EQ(this->checkpoint(), 200);
    this->expect_tables(this->reference_of(stream));
    EXPECT_EQ(owner->counter("commits"), 2u);
    EXPECT_EQ(owner->losses(), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(ProjectionConformance, CheckpointLoadReturnsWhatWasCommittedAndSkipsWhatItCovers,
                            GroupCommitHoldsBusyBatchesInOneTransactionThatACrashLosesWhole,
                            GroupCommitCommitsABusyStreamAtItsLimits,
                            GroupCommitCommitsBeforeAnAssignmentAndARevocation,
                            StaleWriterIsFencedAndItsBatchRolledBack,
                            RejectedEventHoldsTheCheckpointUntilTheHostMovesPastIt, ReplayingTheStreamChangesNothing,
                            BatchesOfAnySizeOverSeveralPartitionsGiveTheReference,
                            RevokedMidBatchThePartitionMovesToAnotherInstanceAndBack,
                            TransientErrorsAreRetriedNeverRejectedNorDeadLettered,
                            ReopeningKeepsTheTablesAndTheRecordedSchemaVersion,
                            InvalidEventsAreRejectedWithTheirReasonAndChangeNothing,
                            ADatabaseOfThePreviousReleaseOpensAndKeepsWorking);

}  // namespace fanout::test
