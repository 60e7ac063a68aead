// ProjectionPlugin: the exactly-once loop, driven like fanoutd drives it
// (fanout::testing::BatchDriver) over the counter projection on SQLite.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "counter_store.hpp"
#include "fanout/sql/projection_plugin.hpp"
#include "fanout/testing.hpp"
#include "process.hpp"

namespace sql = fanout::sql;
using namespace fanout::testing;  // BatchDriver, FakeContext, FakeEvent
using fanout::Outcome;
using sql::test::Additions;

namespace {

std::vector<fanout::TopicPartition> partition0() { return {{"post-events", 0}}; }

struct CounterVerdict {
    enum class Kind { applied, duplicate, ignored, rejected };
    Kind kind = Kind::applied;
    std::string reason;
};

/// Counts events per aggregate id; rejects events of type "Bad".
class CounterPlugin final : public sql::ProjectionPlugin<CounterPlugin, CounterVerdict> {
public:
    using Store = sql::test::CounterStore;

    using SqliteStore = sql::test::SqliteCounterStore;
    using PostgresStore = sql::test::SqliteCounterStore;  // the tests use SQLite only

    CounterPlugin(sql::ConnectionSettings settings, fanout::Context& context)
        : ProjectionPlugin(std::move(settings), context, "counter", sql::test::counter_schema()) {}

    void prepare(std::span<const fanout::Event* const> events) { events_ = events; }
    const Additions& project(Store&, std::vector<CounterVerdict>& verdicts) {
        additions_.clear();
        verdicts.assign(events_.size(), {});
        for (std::size_t i = 0; i < events_.size(); ++i) {
            if (events_[i]->type() == "Bad") {
                verdicts[i] = {CounterVerdict::Kind::rejected, "bad event"};
            } else {
                additions_.emplace_back(events_[i]->aggregate_id(), 1);
            }
        }
        return additions_;
    }

private:
    std::span<const fanout::Event* const> events_;
    Additions additions_;
};

/// One consumer of the group: its context and its plugin, started.
struct Consumer {
    FakeContext context{"counter"};
    std::unique_ptr<CounterPlugin> plugin;
    std::uint64_t counter(std::string_view name) const { return context.counter_value(name).value_or(0); }
};

class SqlProjectionPlugin : public ::testing::Test {
protected:
    sql::ConnectionSettings settings() const {
        sql::ConnectionSettings s;
        s.connection = "sqlite:" + file_;
        s.lock_timeout = std::chrono::milliseconds(50);
        s.reconnect_interval = std::chrono::milliseconds(0);
        return s;
    }
    std::unique_ptr<Consumer> consumer() {
        auto c = std::make_unique<Consumer>();
        c->plugin = std::make_unique<CounterPlugin>(settings(), c->context);
        c->plugin->start();
        return c;
    }
    /// Where a new consumer of the group would start.
    std::int64_t checkpoint() { return consumer()->plugin->on_assigned(partition0())[0].next_offset; }
    std::optional<std::int64_t> counted(std::string_view id) {
        if (!reader_) reader_ = sql::test::open_counter_store(settings());
        return sql::test::count(*reader_, id);
    }
    static void publish(BatchDriver& driver, int n, int first = 0) {
        for (int i = first; i < first + n; ++i) driver.publish({.aggregate_id = "c" + std::to_string(i % 3)});
    }

    fanout::test::TempDir dir_;
    std::string file_ = (dir_ / "counters.db").string();
    std::unique_ptr<sql::test::CounterStore> reader_;
};

}  // namespace

TEST_F(SqlProjectionPlugin, AppliesABatchAndAdvancesItsCheckpoint) {
    const auto c = consumer();
    BatchDriver driver(*c->plugin, 4);
    publish(driver, 6);
    driver.publish({.type = "Bad", .aggregate_id = "c0"});
    driver.run();
    EXPECT_EQ(counted("c0"), 2);
    EXPECT_EQ(counted("c1"), 2);
    EXPECT_EQ(c->counter("applied"), 6u);
    EXPECT_EQ(c->counter("rejected"), 1u);
    ASSERT_EQ(driver.dead_letters().size(), 1u);
    EXPECT_EQ(driver.dead_letters()[0].reason, "rejected: bad event");
    EXPECT_TRUE(c->context.log().contains("counter ready: connection=sqlite:"));
    // The rejected event stops its partition's checkpoint: a redelivery is
    // not taken for a replay.
    EXPECT_EQ(checkpoint(), 6);
}

TEST_F(SqlProjectionPlugin, AReplayBelowTheCheckpointIsSkipped) {
    const auto c = consumer();
    BatchDriver driver(*c->plugin, 10);
    publish(driver, 5);
    driver.run();
    ASSERT_EQ(counted("c0"), 2);

    // A crash after the commit, before Kafka's offset moved: the restarted
    // instance is handed the same events again.
    const auto restarted = consumer();
    driver.replace_plugin(*restarted->plugin);
    ASSERT_EQ(driver.assign(partition0())[0].next_offset, 5);
    std::vector<FakeEvent> again;
    for (std::int64_t offset = 0; offset < 5; ++offset) {
        again.push_back(FakeEvent({.aggregate_id = "c" + std::to_string(offset % 3)}).at("post-events", 0, offset));
    }
    for (const Outcome& o : driver.handle(again)) EXPECT_EQ(o.kind(), Outcome::Kind::done);
    EXPECT_EQ(restarted->counter("duplicates"), 5u);
    EXPECT_EQ(restarted->counter("applied"), 0u);
    EXPECT_EQ(counted("c0"), 2);
    EXPECT_EQ(counted("c1"), 2);
}

TEST_F(SqlProjectionPlugin, APartitionSeenButNeverAssignedHasItsPositionLoaded) {
    const auto c = consumer();
    BatchDriver driver(*c->plugin, 10);
    publish(driver, 3);
    driver.run();

    const auto unassigned = consumer();
    std::vector<FakeEvent> events;
    for (std::int64_t offset = 0; offset < 4; ++offset) {
        events.push_back(FakeEvent({.aggregate_id = "c" + std::to_string(offset % 3)}).at("post-events", 0, offset));
    }
    BatchDriver direct(*unassigned->plugin);
    for (const Outcome& o : direct.handle(events)) EXPECT_EQ(o.kind(), Outcome::Kind::done);
    EXPECT_EQ(unassigned->counter("duplicates"), 3u);
    EXPECT_EQ(unassigned->counter("applied"), 1u);
    EXPECT_EQ(counted("c0"), 2);
    EXPECT_EQ(checkpoint(), 4);
}

TEST_F(SqlProjectionPlugin, AStaleWriterIsFencedAndChangesNothing) {
    const auto owner = consumer();
    const auto stale = consumer();
    BatchDriver owner_driver(*owner->plugin, 10);
    BatchDriver stale_driver(*stale->plugin, 10);
    publish(owner_driver, 3);
    publish(stale_driver, 3);
    // Both were assigned the partition at its start; then the owner moved it.
    stale_driver.assign(partition0());
    owner_driver.run();

    stale_driver.run();
    EXPECT_EQ(stale->counter("fenced"), 1u);
    EXPECT_EQ(stale->counter("applied"), 0u);
    for (std::int64_t offset = 0; offset < 3; ++offset) {
        EXPECT_EQ(stale_driver.outcome("post-events", 0, offset)->kind(), Outcome::Kind::retry_later);
    }
    EXPECT_TRUE(stale->context.log().contains("fenced: the checkpoint of post-events[0]@-1 moved"));
    EXPECT_TRUE(stale_driver.dead_letters().empty());
    EXPECT_EQ(counted("c0"), 1);
    EXPECT_EQ(counted("c2"), 1);
    EXPECT_EQ(checkpoint(), 3);
}

TEST_F(SqlProjectionPlugin, ATransientErrorRetriesTheBatchAndNeverRejectsIt) {
    const auto c = consumer();
    BatchDriver driver(*c->plugin, 10, /*max_attempts=*/1000);
    publish(driver, 3);
    driver.assign(partition0());

    // Another writer holds the database's write lock past the lock timeout.
    soci::session holder;
    sql::open_session(holder, "sqlite:" + file_);
    holder << "BEGIN IMMEDIATE";
    for (int round = 0; round < 3; ++round) {
        driver.run();
        for (std::int64_t offset = 0; offset < 3; ++offset) {
            const auto outcome = driver.outcome("post-events", 0, offset);
            ASSERT_TRUE(outcome);
            EXPECT_EQ(outcome->kind(), Outcome::Kind::retry_later);
            EXPECT_NE(outcome->reason().find("database error: "), std::string::npos) << outcome->reason();
        }
    }
    EXPECT_EQ(c->counter("db_errors"), 3u);

    holder << "ROLLBACK";
    driver.run();
    EXPECT_EQ(driver.outcome("post-events", 0, 2)->kind(), Outcome::Kind::done);
    EXPECT_EQ(c->counter("applied"), 3u);
    EXPECT_EQ(c->counter("rejected"), 0u);
    EXPECT_TRUE(driver.dead_letters().empty());
    EXPECT_EQ(counted("c2"), 1);
}

TEST_F(SqlProjectionPlugin, RevokeThenReassignReloadsThePositions) {
    const auto first = consumer();
    const auto second = consumer();
    BatchDriver driver(*first->plugin, 10);
    publish(driver, 3);
    driver.run();
    driver.revoke_all();

    // Another consumer of the group owns the partition meanwhile.
    driver.replace_plugin(*second->plugin);
    ASSERT_EQ(driver.assign(partition0())[0].next_offset, 3);
    publish(driver, 3, 3);
    driver.run();
    driver.revoke_all();

    // Back to the first: it must start where the second stopped, not where it did.
    driver.replace_plugin(*first->plugin);
    EXPECT_EQ(driver.assign(partition0())[0].next_offset, 6);
    publish(driver, 1, 6);
    driver.run();
    EXPECT_EQ(driver.outcome("post-events", 0, 6)->kind(), Outcome::Kind::done);
    EXPECT_EQ(first->counter("fenced"), 0u);
    EXPECT_EQ(first->counter("applied"), 4u);
    EXPECT_EQ(counted("c0"), 3);
    EXPECT_TRUE(first->context.log().contains("checkpoints loaded: post-events[0]@6"));
}
