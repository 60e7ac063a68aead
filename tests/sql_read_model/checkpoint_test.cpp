// The sql_read_model plugin's checkpoints, fencing and database failures,
// through its real descriptor, on SQLite and on the real PostgreSQL of
// FANOUT_TEST_PG.
#include <gtest/gtest.h>

#include "read_model_test.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

class SqlReadModelCheckpoints : public ReadModelTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqlReadModelCheckpoints, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         backend_name);

TEST_P(SqlReadModelCheckpoints, RejectedEventHoldsTheCheckpointUntilTheHostMovesPastIt) {
    auto rm = owner();
    PartitionEvents p;
    std::vector<FakeEvent> batch = {
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("PostLikedEvent", "ghost", 2),
        p.next("PostLikedEvent", "p1", 3),
        p.next("PostCreatedEvent", "p2", 1, created_data("bob", "Hi", k_day)),
    };
    EXPECT_EQ(kinds(rm->handle(batch)), (std::vector<std::string>{"done", "done", "reject", "done", "done"}));
    EXPECT_EQ(db_->checkpoint(k_group, k_topic, 0), 2) << "stops at the rejected event";
    const Model applied = db_->model();
    EXPECT_EQ(applied.posts.at("p1").likes, 2);

    // The host could not dead-letter it and redelivers from it: rejected
    // again (not skipped as a replay), the rest changes nothing.
    const std::vector<FakeEvent> again(batch.begin() + 2, batch.end());
    EXPECT_EQ(kinds(rm->handle(again)), (std::vector<std::string>{"reject", "done", "done"}));
    EXPECT_EQ(db_->model(), applied);

    // Dead-lettered: the next event moves the checkpoint past it.
    EXPECT_TRUE(all_done(rm->handle({p.next("PostLikedEvent", "p2", 2)})));
    EXPECT_EQ(db_->checkpoint(k_group, k_topic, 0), 6);
}

TEST_P(SqlReadModelCheckpoints, CheckpointLoadReturnsWhatWasCommitted) {
    auto first = plugin();
    EXPECT_EQ(first->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{-1, -1, -1}));
    PartitionEvents p0(0), p1(1);
    std::vector<FakeEvent> batch;
    for (int i = 0; i < 10; ++i) {
        const std::string post = "a" + std::to_string(i);
        batch.push_back(p0.next("PostCreatedEvent", post, 1, created_data("x", "y", k_day)));
        if (i < 5)
            batch.push_back(p1.next("PostCreatedEvent", "b" + std::to_string(i), 1, created_data("x", "y", k_day)));
    }
    ASSERT_TRUE(all_done(first->handle(batch)));

    auto second = plugin();
    EXPECT_EQ(second->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{10, 5, -1}));
    auto other_group = plugin("fanout.elsewhere");
    EXPECT_EQ(other_group->assign(k_topic, {0, 1}), (std::vector<std::int64_t>{-1, -1}));

    // Kafka's committed offset lagged: offsets 5..14 arrive; 5..9 are skipped
    // as already applied, 10..14 applied.
    PartitionEvents replay(0, 5);
    std::vector<FakeEvent> overlap;
    for (int i = 5; i < 15; ++i) {
        overlap.push_back(replay.next("PostCreatedEvent", "a" + std::to_string(i), 1, created_data("x", "y", k_day)));
    }
    ASSERT_TRUE(all_done(second->handle(overlap)));
    EXPECT_EQ(second->counter("duplicates"), 5u);
    EXPECT_EQ(second->counter("applied"), 5u);
    EXPECT_EQ(db_->checkpoint(k_group, k_topic, 0), 15);
    EXPECT_EQ(db_->model().posts.size(), 20u);
}

TEST_P(SqlReadModelCheckpoints, StaleConsumerIsFencedAndItsBatchRolledBack) {
    auto stale = owner();
    PartitionEvents p;
    ASSERT_TRUE(all_done(stale->handle({
        p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
        p.next("PostLikedEvent", "p1", 2),
        p.next("PostLikedEvent", "p1", 3),
    })));
    // The partition moves to another instance of the group, which goes on.
    auto current = plugin();
    ASSERT_EQ(current->assign(k_topic, {0}), std::vector<std::int64_t>{3});
    ASSERT_TRUE(all_done(current->handle({p.next("PostLikedEvent", "p1", 4), p.next("PostLikedEvent", "p1", 5)})));
    const Model before = db_->model();
    ASSERT_EQ(before.posts.at("p1").likes, 4);

    // The stale instance still expects offset 3; its next batch carries new
    // changes, which must not land.
    const std::vector<FakeEvent> next = {p.next("PostLikedEvent", "p1", 6),
                                         p.next("MessageUpdatedEvent", "p1", 7, message_data("zombie"))};
    const auto fenced = stale->handle(next);
    EXPECT_EQ(kinds(fenced), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(fenced[0].reason().find("fenced"), std::string::npos) << fenced[0].reason();
    EXPECT_EQ(stale->counter("fenced"), 1u);
    EXPECT_EQ(db_->model(), before) << "rolled back";
    EXPECT_EQ(db_->checkpoint(k_group, k_topic, 0), 5);

    EXPECT_TRUE(all_done(current->handle(next)));
    EXPECT_EQ(db_->model().posts.at("p1").likes, 5);
    EXPECT_EQ(db_->model().posts.at("p1").message, "zombie");
}

TEST_P(SqlReadModelCheckpoints, RememberedVersionsThatLagBehindAnotherWriterAreCheckedNotTrusted) {
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
    ASSERT_EQ(db_->model().posts.at("p1").likes, 2);

    // a remembers p1 at version 2; the database holds 3. Version 4 is no gap.
    EXPECT_EQ(describe(a->handle({pa.next("PostLikedEvent", "p1", 4)})), std::vector<std::string>{"done"});
    EXPECT_EQ(db_->model().posts.at("p1").likes, 3);
    EXPECT_EQ(a->counter("rejected"), 0u);

    // b remembers 3; a moved it to 4. Version 4 again is a duplicate, not a
    // second like: the guarded write rolls back, the retry reads the database.
    const std::vector<FakeEvent> again = {pb.next("PostLikedEvent", "p1", 4)};
    const auto duplicates_before = b->counter("duplicates");  // its first batch had a's two
    const auto first = b->handle(again);
    EXPECT_EQ(kinds(first), std::vector<std::string>{"retry_later"});
    EXPECT_NE(first[0].reason().find("concurrent writer"), std::string::npos) << first[0].reason();
    EXPECT_EQ(db_->model().posts.at("p1").likes, 3);
    EXPECT_TRUE(all_done(b->handle(again)));
    EXPECT_EQ(b->counter("duplicates"), duplicates_before + 1);
    EXPECT_EQ(db_->model().posts.at("p1").likes, 3);
    EXPECT_EQ(b->counter("rejected"), 0u);
    EXPECT_EQ(db_->checkpoint("fanout.other", k_topic, 0), 4);
}

TEST_P(SqlReadModelCheckpoints, LockTimeoutRetriesTheBatchLaterNeverRejects) {
    auto rm = owner(k_group, "lock_timeout_ms: 200\n");
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
                                          p.next("PostLikedEvent", "p1", 2)};
    soci::session& other = db_->session();
    other << (GetParam() == DbBackend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (GetParam() == DbBackend::postgresql) other << "LOCK TABLE checkpoints IN ACCESS EXCLUSIVE MODE";
    const auto blocked = rm->handle(batch);
    other << "ROLLBACK";
    EXPECT_EQ(kinds(blocked), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(blocked[0].reason().find("database error"), std::string::npos) << blocked[0].reason();
    EXPECT_GE(rm->counter("db_errors"), 1u);

    EXPECT_TRUE(all_done(rm->handle(batch))) << "the same connection goes on";
    EXPECT_EQ(db_->model().posts.at("p1").likes, 1);
}

// --- PostgreSQL only: connections that fail -----------------------------------

TEST(SqlReadModelPostgres, LostConnectionRetriesTheBatchThenReconnects) {
    TestDatabase db(DbBackend::postgresql);
    PluginUnderTest rm(db.connection_option() + "reconnect_interval_ms: 0\n");
    rm.assign(k_topic, {0});
    PartitionEvents p;
    ASSERT_TRUE(all_done(rm.handle({p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day))})));

    int terminated = 0;
    const std::string application = db.plugin_application_name();
    db.session() << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a",
        soci::into(terminated), soci::use(application);
    ASSERT_EQ(terminated, 1);

    const std::vector<FakeEvent> batch = {p.next("PostLikedEvent", "p1", 2), p.next("PostLikedEvent", "p1", 3)};
    const auto lost = rm.handle(batch);
    EXPECT_EQ(kinds(lost), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(lost[0].reason().find("database error"), std::string::npos) << lost[0].reason();

    const auto retried = rm.handle(batch);
    EXPECT_TRUE(all_done(retried)) << ::testing::PrintToString(describe(retried));
    EXPECT_EQ(db.model().posts.at("p1").likes, 2);
    EXPECT_NE(rm.log().find("database connection restored"), std::string::npos) << rm.log();
}

TEST(SqlReadModelPostgres, UnreachableServerIsWaitedForNotAStartupError) {
    PluginUnderTest rm(
        "connection: \"postgresql://fanout:s3cret-pw@127.0.0.1:1/fanout\"\nconnect_timeout_s: "
        "2\nreconnect_interval_ms: 0\n");
    EXPECT_NE(rm.log().find("database unavailable at start"), std::string::npos) << rm.log();
    EXPECT_EQ(rm.log().find("s3cret-pw"), std::string::npos) << "no secrets in logs: " << rm.log();
    EXPECT_THROW(rm.assign(k_topic, {0}), std::runtime_error) << "the host retries the assignment";
    PartitionEvents p;
    const auto outcomes = rm.handle({p.next("PostLikedEvent", "p1", 2)});
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(outcomes[0].reason().find("database unavailable"), std::string::npos) << outcomes[0].reason();
    EXPECT_GE(rm.counter("db_errors"), 2u);
}

TEST(SqlReadModelPostgres, UnknownDatabaseIsAStartupError) {
    const std::string server = postgres_server();
    try {
        PluginUnderTest rm("connection: " + yaml_quote(server + " dbname=no_such_database_xyz") + "\n");
        FAIL() << "create() should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot use the read model database"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no_such_database_xyz"), std::string::npos) << e.what();
    }
}

// --- SQLite only ---------------------------------------------------------------

TEST(SqlReadModelSqlite, UnopenablePathIsAStartupError) {
    try {
        PluginUnderTest rm("connection: sqlite:/nonexistent-dir/read_model.db\n");
        FAIL() << "create() should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(
            std::string(e.what()).find("cannot use the read model database sqlite:/nonexistent-dir/read_model.db"),
            std::string::npos)
            << e.what();
    }
}

TEST(SqlReadModelSqlite, MissingConnectionOptionIsAConfigError) {
    try {
        PluginUnderTest rm("lock_timeout_ms: 5\n");
        FAIL() << "should throw";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("missing required option 'connection'"), std::string::npos) << e.what();
    }
}

}  // namespace
