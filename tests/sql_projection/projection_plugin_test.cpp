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
using fanout::Outcome;
using fanout::testing::BatchDriver;
using fanout::testing::FakeContext;
using fanout::testing::FakeEvent;
using sql::test::Additions;
using sql::test::count;

namespace {

struct CounterVerdict {
    enum class Kind { applied, duplicate, ignored, rejected };
    Kind kind = Kind::applied;
    std::string reason;
};

/// Counts events per aggregate id; rejects events of type "Bad".
class CounterPlugin final : public sql::ProjectionPlugin<CounterPlugin, CounterVerdict> {
public:
    using Store = sql::test::CounterStore;

    CounterPlugin(sql::ConnectionSettings settings, fanout::Context& context)
        : ProjectionPlugin(settings, context, "counter", 1), settings_(std::move(settings)) {}

    std::unique_ptr<Store> open_store() { return sql::test::open_counter_store(settings_); }
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
    sql::ConnectionSettings settings_;
    std::span<const fanout::Event* const> events_;
    Additions additions_;
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
    std::unique_ptr<CounterPlugin> make_plugin(FakeContext& context) {
        auto plugin = std::make_unique<CounterPlugin>(settings(), context);
        plugin->start();
        return plugin;
    }
    std::optional<std::int64_t> counted(std::string_view id) {
        if (!reader_) reader_ = sql::test::open_counter_store(settings());
        return count(*reader_, id);
    }
    static void publish(BatchDriver& driver, int n, int first = 0) {
        for (int i = first; i < first + n; ++i) driver.publish({.aggregate_id = "c" + std::to_string(i % 3)});
    }

    fanout::test::TempDir dir_;
    std::string file_ = (dir_ / "counters.db").string();
    std::unique_ptr<sql::test::CounterStore> reader_;
};

std::vector<fanout::TopicPartition> partition0() { return {{"post-events", 0}}; }

}  // namespace

TEST_F(SqlProjectionPlugin, AppliesABatchAndAdvancesItsCheckpoint) {
    FakeContext context("counter");
    const auto plugin = make_plugin(context);
    BatchDriver driver(*plugin, 4);
    publish(driver, 6);
    driver.publish({.type = "Bad", .aggregate_id = "c0"});
    driver.run();
    EXPECT_EQ(counted("c0"), 2);
    EXPECT_EQ(counted("c1"), 2);
    EXPECT_EQ(context.counter_value("applied"), 6u);
    EXPECT_EQ(context.counter_value("rejected"), 1u);
    ASSERT_EQ(driver.dead_letters().size(), 1u);
    EXPECT_EQ(driver.dead_letters()[0].reason, "rejected: bad event");
    EXPECT_TRUE(context.log().contains("counter ready: connection=sqlite:"));

    // The rejected event stops its partition's checkpoint: a redelivery is
    // not taken for a replay.
    FakeContext restarted_context("counter");
    const auto restarted = make_plugin(restarted_context);
    EXPECT_EQ(restarted->on_assigned(partition0())[0].next_offset, 6);
}

TEST_F(SqlProjectionPlugin, AReplayBelowTheCheckpointIsSkipped) {
    FakeContext context("counter");
    const auto plugin = make_plugin(context);
    BatchDriver driver(*plugin, 10);
    publish(driver, 5);
    driver.run();
    ASSERT_EQ(counted("c0"), 2);

    // A crash after the commit, before Kafka's offset moved: the restarted
    // instance is handed the same events again.
    FakeContext restarted_context("counter");
    const auto restarted = make_plugin(restarted_context);
    driver.replace_plugin(*restarted);
    ASSERT_EQ(driver.assign(partition0())[0].next_offset, 5);
    std::vector<FakeEvent> again;
    for (std::int64_t offset = 0; offset < 5; ++offset) {
        again.push_back(FakeEvent({.aggregate_id = "c" + std::to_string(offset % 3)}).at("post-events", 0, offset));
    }
    for (const Outcome& o : driver.handle(again)) EXPECT_EQ(o.kind(), Outcome::Kind::done);
    EXPECT_EQ(restarted_context.counter_value("duplicates"), 5u);
    EXPECT_EQ(restarted_context.counter_value("applied"), 0u);
    EXPECT_EQ(counted("c0"), 2);
    EXPECT_EQ(counted("c1"), 2);
}

TEST_F(SqlProjectionPlugin, AStaleWriterIsFencedAndChangesNothing) {
    FakeContext owner_context("counter");
    FakeContext stale_context("counter");
    const auto owner = make_plugin(owner_context);
    const auto stale = make_plugin(stale_context);
    BatchDriver owner_driver(*owner, 10);
    BatchDriver stale_driver(*stale, 10);
    publish(owner_driver, 3);
    publish(stale_driver, 3);
    // Both were assigned the partition at its start; then the owner moved it.
    stale_driver.assign(partition0());
    owner_driver.run();

    stale_driver.run();
    EXPECT_EQ(stale_context.counter_value("fenced"), 1u);
    EXPECT_EQ(stale_context.counter_value("applied"), 0u);
    for (std::int64_t offset = 0; offset < 3; ++offset) {
        EXPECT_EQ(stale_driver.outcome("post-events", 0, offset)->kind(), Outcome::Kind::retry_later);
    }
    EXPECT_TRUE(stale_context.log().contains("fenced: the checkpoint of post-events[0]@-1 moved"));
    EXPECT_TRUE(stale_driver.dead_letters().empty());
    EXPECT_EQ(counted("c0"), 1);
    EXPECT_EQ(counted("c2"), 1);
    FakeContext check_context("counter");
    EXPECT_EQ(make_plugin(check_context)->on_assigned(partition0())[0].next_offset, 3);
}

TEST_F(SqlProjectionPlugin, ATransientErrorRetriesTheBatchAndNeverRejectsIt) {
    FakeContext context("counter");
    const auto plugin = make_plugin(context);
    BatchDriver driver(*plugin, 10, /*max_attempts=*/1000);
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
    EXPECT_EQ(context.counter_value("db_errors"), 3u);
    EXPECT_EQ(context.counter_value("rejected"), 0u);
    EXPECT_TRUE(driver.dead_letters().empty());

    holder << "ROLLBACK";
    driver.run();
    EXPECT_EQ(driver.outcome("post-events", 0, 2)->kind(), Outcome::Kind::done);
    EXPECT_EQ(context.counter_value("applied"), 3u);
    EXPECT_EQ(context.counter_value("rejected"), 0u);
    EXPECT_TRUE(driver.dead_letters().empty());
    EXPECT_EQ(counted("c0"), 1);
    EXPECT_EQ(counted("c1"), 1);
    EXPECT_EQ(counted("c2"), 1);
}

TEST_F(SqlProjectionPlugin, RevokeThenReassignReloadsThePositions) {
    FakeContext first_context("counter");
    FakeContext second_context("counter");
    const auto first = make_plugin(first_context);
    const auto second = make_plugin(second_context);
    BatchDriver driver(*first, 10);
    publish(driver, 3);
    driver.run();
    driver.revoke_all();

    // Another consumer of the group owns the partition meanwhile.
    driver.replace_plugin(*second);
    ASSERT_EQ(driver.assign(partition0())[0].next_offset, 3);
    publish(driver, 3, 3);
    driver.run();
    driver.revoke_all();

    // Back to the first: it must start where the second stopped, not where it did.
    driver.replace_plugin(*first);
    EXPECT_EQ(driver.assign(partition0())[0].next_offset, 6);
    publish(driver, 1, 6);
    driver.run();
    EXPECT_EQ(driver.outcome("post-events", 0, 6)->kind(), Outcome::Kind::done);
    EXPECT_EQ(first_context.counter_value("fenced"), 0u);
    EXPECT_EQ(first_context.counter_value("applied"), 4u);
    EXPECT_EQ(counted("c0"), 3);
    EXPECT_TRUE(first_context.log().contains("checkpoints loaded: post-events[0]@6"));
}
