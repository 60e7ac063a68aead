// BatchStore on SQLite: a projection's rows and its checkpoints move in one
// transaction, so a fenced (stale) writer's batch changes nothing at all.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "counter_store.hpp"
#include "process.hpp"

namespace sql = fanout::sql;
using fanout::k_no_checkpoint;

using sql::test::count;
using sql::test::CounterStore;

namespace {

std::unique_ptr<CounterStore> open_store(const std::string& file) { return sql::test::open_counter_store(file); }

}  // namespace

TEST(SqlProjectionBatchStore, ABatchCommitsItsRowsAndItsCheckpointTogether) {
    fanout::test::TempDir dir;
    const auto store = open_store((dir / "counters.db").string());
    EXPECT_EQ(store->backend(), sql::Backend::sqlite);
    const std::vector<fanout::TopicPartition> partitions{{"posts", 0}};
    ASSERT_EQ(store->load_checkpoints("g", partitions), std::vector<std::int64_t>{k_no_checkpoint});

    const sql::CheckpointAdvance advance[] = {{"posts", 0, k_no_checkpoint, 2}};
    store->begin();
    store->write({{"a", 1}, {"b", 1}});
    ASSERT_TRUE(store->advance("g", advance));
    store->commit();
    EXPECT_EQ(count(*store, "a"), 1);
    EXPECT_EQ(store->load_checkpoints("g", partitions), std::vector<std::int64_t>{2});
}

TEST(SqlProjectionBatchStore, AFencedWritersBatchChangesNothing) {
    fanout::test::TempDir dir;
    const std::string file = (dir / "counters.db").string();
    const auto owner = open_store(file);
    const auto stale = open_store(file);
    const std::vector<fanout::TopicPartition> partitions{{"posts", 0}};
    owner->load_checkpoints("g", partitions);

    const sql::CheckpointAdvance first[] = {{"posts", 0, k_no_checkpoint, 5}};
    owner->begin();
    owner->write({{"a", 5}});
    ASSERT_TRUE(owner->advance("g", first));
    owner->commit();

    // The stale writer still expects the partition at its start.
    stale->begin();
    stale->write({{"a", 100}});
    EXPECT_FALSE(stale->advance("g", first));
    EXPECT_TRUE(stale->rollback());
    EXPECT_TRUE(stale->usable());
    EXPECT_EQ(count(*owner, "a"), 5);
    EXPECT_EQ(owner->load_checkpoints("g", partitions), std::vector<std::int64_t>{5});
}
