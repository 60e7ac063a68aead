#pragma once
// The connection and options of a SQL projection plugin, for any projection
// (Traits: projection_traits.hpp): a PostgreSQL connection killed under it,
// a server unreachable at start, databases it cannot use, options fanoutd
// refuses. Included by projection_conformance.hpp.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "projection_test.hpp"

namespace fanout::test {

template <ProjectionTraits T>
class ProjectionConnection : public ProjectionTest<T> {};
TYPED_TEST_SUITE_P(ProjectionConnection);

/// The message of the E that `make` throws, "" when it throws none.
template <class E>
std::string thrown_by(const std::function<void()>& make) {
    try {
        make();
    } catch (const E& e) {
        return e.what();
    }
    return "";
}

TYPED_TEST_P(ProjectionConnection, LostPostgresqlConnectionRetriesTheBatchThenReconnects) {
    this->db_ = std::make_unique<TestDatabase>(DbBackend::postgresql);
    auto owner = this->owner(this->group(), "reconnect_interval_ms: 0\n");
    PartitionEvents p;
    std::vector<FakeEvent> events = {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day))};
    ASSERT_TRUE(all_done(owner->handle(events)));
    ASSERT_EQ(this->db_->terminate_plugin_sessions(), 1);

    const std::vector<FakeEvent> batch = {p.next("PostLikedEvent", "p1", 2), p.next("PostLikedEvent", "p1", 3)};
    const auto lost = owner->handle(batch);
    EXPECT_EQ(kinds(lost), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_NE(lost[0].reason().find("database error"), std::string::npos) << lost[0].reason();

    const auto retried = owner->handle(batch);
    EXPECT_TRUE(all_done(retried)) << ::testing::PrintToString(describe(retried));
    events.insert(events.end(), batch.begin(), batch.end());
    this->expect_tables(this->reference_of(events));
    EXPECT_EQ(this->tables().total_likes(), 2);
    EXPECT_NE(owner->log().find("database connection restored"), std::string::npos) << owner->log();
}

TYPED_TEST_P(ProjectionConnection, ALostTransactionOfSeveralBatchesIsReadAgainFromTheCheckpoints) {
    this->db_ = std::make_unique<TestDatabase>(DbBackend::postgresql);
    auto owner = this->owner(this->group(), "reconnect_interval_ms: 0\n");
    PartitionEvents p;
    std::vector<FakeEvent> events = {p.next("PostCreatedEvent", "p1", 1, created_data("alice", "Hello", k_day))};
    ASSERT_TRUE(all_done(owner->handle(events)));
    ASSERT_EQ(this->checkpoint(), 1);
    const std::vector<FakeEvent> held = {p.next("PostLikedEvent", "p1", 2)};
    ASSERT_TRUE(all_done(owner->handle(held, /*idle=*/false))) << "reported done, not committed yet";
    ASSERT_EQ(this->db_->terminate_plugin_sessions(), 1);

    const std::vector<FakeEvent> next = {p.next("PostLikedEvent", "p1", 3)};
    const auto failed = owner->handle(next, false);
    EXPECT_EQ(kinds(failed), (std::vector<std::string>{"retry_later"}));
    EXPECT_EQ(owner->losses(), 1u) << "the batch reported done before must come again";
    const auto refused = owner->handle(next, false);
    EXPECT_EQ(kinds(refused), (std::vector<std::string>{"retry_later"})) << "until the host assigns again";
    EXPECT_NE(refused[0].reason().find("reading the checkpoints again"), std::string::npos) << refused[0].reason();

    EXPECT_EQ(owner->assign(k_topic, {0}), (std::vector<std::int64_t>{1})) << "back to the last commit";
    std::vector<FakeEvent> again = held;
    again.insert(again.end(), next.begin(), next.end());
    ASSERT_TRUE(all_done(owner->handle(again)));
    events.insert(events.end(), again.begin(), again.end());
    this->expect_tables(this->reference_of(events));
    EXPECT_EQ(this->tables().total_likes(), 2);
    EXPECT_EQ(this->checkpoint(), 3);
}

TYPED_TEST_P(ProjectionConnection, UnreachablePostgresqlIsWaitedForNotAStartupError) {
    auto owner = this->plugin_with(
        "connection: \"postgresql://fanout:s3cret-pw@127.0.0.1:1/fanout\"\n"
        "connect_timeout_s: 2\nreconnect_interval_ms: 0\n",
        this->group());
    EXPECT_NE(owner->log().find("database unavailable at start"), std::string::npos) << owner->log();
    EXPECT_EQ(owner->log().find("s3cret-pw"), std::string::npos) << "no secrets in logs: " << owner->log();
    EXPECT_THROW(owner->assign(k_topic, {0}), std::runtime_error) << "the host retries the assignment";
    PartitionEvents p;
    const auto outcomes = owner->handle({p.next("PostLikedEvent", "p1", 2)});
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(outcomes[0].reason().find("database unavailable"), std::string::npos) << outcomes[0].reason();
    EXPECT_GE(owner->counter("db_errors"), 2u);
}

TYPED_TEST_P(ProjectionConnection, UnknownPostgresqlDatabaseIsAStartupError) {
    const std::string connection = postgres_server() + " dbname=no_such_database_xyz";
    const std::string error =
        thrown_by<std::runtime_error>([&] { this->plugin_with(options_for<TypeParam>(connection), this->group()); });
    EXPECT_NE(error.find("cannot use the " + std::string(TypeParam::k_names.database) + " database"), std::string::npos)
        << error;
    EXPECT_NE(error.find("no_such_database_xyz"), std::string::npos) << error;
}

TYPED_TEST_P(ProjectionConnection, UnopenableSqlitePathIsAStartupError) {
    const std::string connection = "sqlite:/nonexistent-dir/projection.db";
    const std::string error =
        thrown_by<std::runtime_error>([&] { this->plugin_with(options_for<TypeParam>(connection), this->group()); });
    EXPECT_NE(error.find("cannot use the " + std::string(TypeParam::k_names.database) + " database " + connection),
              std::string::npos)
        << error;
}

TYPED_TEST_P(ProjectionConnection, MissingConnectionOptionIsAConfigError) {
    const std::string error =
        thrown_by<std::exception>([&] { this->plugin_with("lock_timeout_ms: 5\n", this->group()); });
    EXPECT_NE(error.find("missing required option 'connection'"), std::string::npos) << error;
}

TYPED_TEST_P(ProjectionConnection, UnknownOptionIsAConfigErrorNamingTheField) {
    TempDir dir;
    const std::string options = options_for<TypeParam>("sqlite:" + (dir / "p.db").string()) + "batch_sise: 10\n";
    const std::string error = thrown_by<std::exception>([&] { this->plugin_with(options, this->group()); });
    EXPECT_NE(error.find("batch_sise"), std::string::npos) << error;
}

TYPED_TEST_P(ProjectionConnection, OutOfRangeValueIsAnErrorNamingTheField) {
    TempDir dir;
    const std::string options = options_for<TypeParam>("sqlite:" + (dir / "p.db").string()) + "lock_timeout_ms: 0\n";
    const std::string error = thrown_by<std::exception>([&] { this->plugin_with(options, this->group()); });
    EXPECT_NE(error.find("lock_timeout_ms"), std::string::npos) << error;
}

REGISTER_TYPED_TEST_SUITE_P(ProjectionConnection, LostPostgresqlConnectionRetriesTheBatchThenReconnects,
                            ALostTransactionOfSeveralBatchesIsReadAgainFromTheCheckpoints,
                            UnreachablePostgresqlIsWaitedForNotAStartupError, UnknownPostgresqlDatabaseIsAStartupError,
                            UnopenableSqlitePathIsAStartupError, MissingConnectionOptionIsAConfigError,
                            UnknownOptionIsAConfigErrorNamingTheField, OutOfRangeValueIsAnErrorNamingTheField);

}  // namespace fanout::test
