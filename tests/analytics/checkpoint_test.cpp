// The analytics plugin's checkpoints, fencing, database failures and
// options, through its real descriptor, on SQLite and on the real PostgreSQL
// of FANOUT_TEST_PG.
#include <gtest/gtest.h>

#include "analytics_test.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

const std::string k_day = "2026-11-01T10:00:00.000Z";

class AnalyticsCheckpoints : public AnalyticsTest {};
INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsCheckpoints, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         backend_name);

TEST_P(AnalyticsCheckpoints, CheckpointLoadReturnsWhatWasCommittedAndSkipsWhatItCovers) {
    auto first = plugin();
    EXPECT_EQ(first->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{-1, -1, -1}));
    PartitionEvents p0(0), p1(1);
    std::vector<FakeEvent> batch;
    for (int i = 0; i < 10; ++i) {
        batch.push_back(p0.next("PostCreatedEvent", "a" + std::to_string(i), 1, created_data("x", "y", k_day)));
        if (i < 5)
            batch.push_back(p1.next("PostCreatedEvent", "b" + std::to_string(i), 1, created_data("x", "y", k_day)));
    }
    ASSERT_TRUE(all_done(first->handle(batch)));

    auto second = plugin();
    EXPECT_EQ(second->assign(k_topic, {0, 1, 2}), (std::vector<std::int64_t>{10, 5, -1}));
    auto other_group = plugin("fanout.elsewhere");
    EXPECT_EQ(other_group->assign(k_topic, {0, 1}), (std::vector<std::int64_t>{-1, -1}));

    // Kafka's committed offset lagged: offsets 5..14 arrive; 5..9 are skipped
    // as already counted, 10..14 counted.
    PartitionEvents replay(0, 5);
    std::vector<FakeEvent> overlap;
    for (int i = 5; i < 15; ++i) {
        overlap.push_back(replay.next("PostCreatedEvent", "a" + std::to_string(i), 1, created_data("x", "y", k_day)));
    }
    ASSERT_TRUE(all_done(second->handle(overlap)));
    EXPECT_EQ(second->counter("duplicates"), 5u);
    EXPECT_EQ(second->counter("applied"), 5u);
    EXPECT_EQ(checkpoint(0), 15);
    EXPECT_EQ(tables().authors.at("x").posts, 20);
    EXPECT_EQ(tables().days.at("2026-11-01").posts, 20);
}

TEST_P(AnalyticsCheckpoints, StaleConsumerIsFencedAndItsBatchRolledBack) {
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
    const Tables before = tables();
    ASSERT_EQ(before.authors.at("alice").likes_received, 4);

    // The stale instance still expects offset 3; its next batch (new posts,
    // so no version guard stops it) must not land.
    const std::vector<FakeEvent> next = {
        p.next("PostCreatedEvent", "p2", 1, created_data("alice", "Zombie", k_day)),
        p.next("CommentAddedEvent", "p2", 2, comment_added_data("c1", "boo", "bob", k_day)),
    };
    const auto fenced = stale->handle(next);
    EXPECT_EQ(kinds(fenced), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(fenced[0].reason().find("fenced"), std::string::npos) << fenced[0].reason();
    EXPECT_EQ(stale->counter("fenced"), 1u);
    EXPECT_EQ(tables(), before) << differences(before, tables());
    EXPECT_EQ(checkpoint(), 5);

    // Replayed old events from it change nothing either.
    const auto guarded = stale->handle({p.next("PostLikedEvent", "p1", 4)});
    EXPECT_EQ(kinds(guarded), std::vector<std::string>{"retry_later"});
    EXPECT_EQ(tables(), before);

    EXPECT_TRUE(all_done(current->handle(next)));
    EXPECT_EQ(tables().authors.at("alice").posts, 2);
    EXPECT_EQ(tables().authors.at("bob").comments, 1);
    EXPECT_EQ(checkpoint(), 7);
}

TEST_P(AnalyticsCheckpoints, LockTimeoutRetriesTheBatchLaterNeverRejects) {
    auto an = owner(k_analytics_group, "lock_timeout_ms: 200\n");
    PartitionEvents p;
    const std::vector<FakeEvent> batch = {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day)),
                                          p.next("PostLikedEvent", "p1", 2)};
    soci::session& other = db_->session();
    other << (GetParam() == DbBackend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (GetParam() == DbBackend::postgresql) other << "LOCK TABLE analytics_checkpoints IN ACCESS EXCLUSIVE MODE";
    const auto blocked = an->handle(batch);
    other << "ROLLBACK";
    EXPECT_EQ(kinds(blocked), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(blocked[0].reason().find("database error"), std::string::npos) << blocked[0].reason();
    EXPECT_GE(an->counter("db_errors"), 1u);
    EXPECT_EQ(an->counter("rejected"), 0u);

    EXPECT_TRUE(all_done(an->handle(batch))) << "the same connection goes on";
    EXPECT_EQ(tables().posts.at("p1").likes, 1);
    EXPECT_EQ(tables().authors.at("alice").likes_received, 1);
}

TEST_P(AnalyticsCheckpoints, SchemaVersionIsRecordedAndReopeningKeepsTheCounts) {
    {
        auto an = owner();
        PartitionEvents p;
        ASSERT_TRUE(all_done(an->handle({p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hi", k_day))})));
    }
    auto reopened = owner();  // migrate() again over existing tables
    int version = 0;
    db_->session() << "SELECT version FROM analytics_schema_version WHERE component = 'analytics'", soci::into(version);
    EXPECT_EQ(version, 1);
    EXPECT_EQ(tables().authors.at("alice").posts, 1);
    EXPECT_EQ(checkpoint(), 1);
}

// --- PostgreSQL only: connections that fail -----------------------------------

TEST(AnalyticsPostgres, LostConnectionRetriesTheBatchThenReconnects) {
    TestDatabase db(DbBackend::postgresql);
    AnalyticsUnderTest an(db.connection_option() + "reconnect_interval_ms: 0\n");
    an.assign(k_topic, {0});
    PartitionEvents p;
    ASSERT_TRUE(all_done(an.handle({p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day))})));

    int terminated = 0;
    const std::string application = db.plugin_application_name();
    db.session() << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a",
        soci::into(terminated), soci::use(application);
    ASSERT_EQ(terminated, 1);

    const std::vector<FakeEvent> batch = {p.next("PostLikedEvent", "p1", 2), p.next("PostLikedEvent", "p1", 3)};
    const auto lost = an.handle(batch);
    EXPECT_EQ(kinds(lost), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(lost[0].reason().find("database error"), std::string::npos) << lost[0].reason();

    const auto retried = an.handle(batch);
    EXPECT_TRUE(all_done(retried)) << ::testing::PrintToString(describe(retried));
    EXPECT_EQ(read_tables(db.session()).authors.at("alice").likes_received, 2);
    EXPECT_NE(an.log().find("database connection restored"), std::string::npos) << an.log();
}

TEST(AnalyticsPostgres, UnreachableServerIsWaitedForNotAStartupError) {
    AnalyticsUnderTest an(
        "connection: \"postgresql://fanout:s3cret-pw@127.0.0.1:1/fanout\"\nconnect_timeout_s: "
        "2\nreconnect_interval_ms: 0\n");
    EXPECT_NE(an.log().find("database unavailable at start"), std::string::npos) << an.log();
    EXPECT_EQ(an.log().find("s3cret-pw"), std::string::npos) << "no secrets in logs: " << an.log();
    EXPECT_THROW(an.assign(k_topic, {0}), std::runtime_error) << "the host retries the assignment";
    PartitionEvents p;
    const auto outcomes = an.handle({p.next("PostLikedEvent", "p1", 2)});
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(outcomes[0].reason().find("database unavailable"), std::string::npos) << outcomes[0].reason();
}

TEST(AnalyticsPostgres, UnknownDatabaseIsAStartupError) {
    const std::string server = postgres_server();
    try {
        AnalyticsUnderTest an("connection: " + yaml_quote(server + " dbname=no_such_database_xyz") + "\n");
        FAIL() << "create() should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot use the analytics database"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no_such_database_xyz"), std::string::npos) << e.what();
    }
}

// --- Options ---------------------------------------------------------------------

TEST(AnalyticsOptions, UnknownOptionIsAConfigErrorNamingTheField) {
    TempDir dir;
    try {
        AnalyticsUnderTest an("connection: sqlite:" + (dir / "a.db").string() + "\nbatch_sise: 10\n");
        FAIL() << "should throw";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("batch_sise"), std::string::npos) << e.what();
    }
}

TEST(AnalyticsOptions, MissingConnectionOptionIsAConfigError) {
    try {
        AnalyticsUnderTest an("lock_timeout_ms: 5\n");
        FAIL() << "should throw";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("missing required option 'connection'"), std::string::npos) << e.what();
    }
}

TEST(AnalyticsOptions, OutOfRangeValueIsAnErrorNamingTheField) {
    TempDir dir;
    try {
        AnalyticsUnderTest an("connection: sqlite:" + (dir / "a.db").string() + "\nlock_timeout_ms: 0\n");
        FAIL() << "should throw";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("lock_timeout_ms"), std::string::npos) << e.what();
    }
}

TEST(AnalyticsOptions, UnopenableSqlitePathIsAStartupError) {
    try {
        AnalyticsUnderTest an("connection: sqlite:/nonexistent-dir/analytics.db\n");
        FAIL() << "create() should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot use the analytics database sqlite:/nonexistent-dir/analytics.db"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
