// BatchStore on SQLite: a projection's rows and its checkpoints move in one
// transaction, so a fenced (stale) writer's batch changes nothing at all.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/connection.hpp"
#include "process.hpp"

namespace sql = fanout::sql;
using fanout::k_no_checkpoint;

namespace {

using Counts = std::vector<std::optional<std::int64_t>>;
using Additions = std::vector<std::pair<std::string_view, std::int64_t>>;
using CounterStore = sql::ProjectionStore<Counts, Additions>;

/// The smallest projection: a counter per id.
class SqliteCounterStore final : public sql::SqliteBatchStore<CounterStore> {
public:
    explicit SqliteCounterStore(std::unique_ptr<soci::session> session)
        : sql::SqliteBatchStore<CounterStore>(std::move(session), "counter_checkpoints"),
          load_(db_.prepare("SELECT n FROM counters WHERE id = ?1")),
          add_(db_.prepare("INSERT INTO counters (id, n) VALUES (?1, ?2)"
                           " ON CONFLICT (id) DO UPDATE SET n = n + excluded.n")) {}

    void load(std::span<const std::string_view> ids, Counts& out) override {
        out.assign(ids.size(), std::nullopt);
        auto* s = load_.get();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            db_.bind(s, 1, ids[i]);
            if (sqlite_api::sqlite3_step(s) == SQLITE_ROW) out[i] = sqlite_api::sqlite3_column_int64(s, 0);
            sqlite_api::sqlite3_reset(s);
        }
    }
    void write(const Additions& changes) override {
        for (const auto& [id, n] : changes) {
            db_.bind(add_.get(), 1, id);
            db_.bind(add_.get(), 2, n);
            db_.run(add_.get());
        }
    }

private:
    sql::SqliteConnection::Statement load_, add_;
};

std::unique_ptr<CounterStore> open_store(const std::string& file) {
    sql::ConnectionSettings settings;
    settings.connection = "sqlite:" + file;
    auto session = sql::connect(settings);
    *session << "CREATE TABLE IF NOT EXISTS counters (id TEXT PRIMARY KEY, n BIGINT NOT NULL)";
    *session << sql::checkpoint_table_ddl("counter_checkpoints");
    return std::make_unique<SqliteCounterStore>(std::move(session));
}

std::optional<std::int64_t> count(CounterStore& store, std::string_view id) {
    Counts out;
    const std::string_view ids[] = {id};
    store.load(ids, out);
    return out.at(0);
}

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
