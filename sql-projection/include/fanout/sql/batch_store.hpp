#pragma once
// The part of a projection's store that every projection shares: one write
// transaction per batch on its connection, and the fenced advance of its
// checkpoint table in that transaction. A projection names its store
// interface and implements its loads and writes per backend on db_:
//
//   using Store = sql::ProjectionStore<MyStoredRows, MyChangeSet>;
//   class SqliteStore final : public sql::SqliteBatchStore<Store> {
//       explicit SqliteStore(std::unique_ptr<soci::session> s)
//           : sql::SqliteBatchStore<Store>(std::move(s), "my_checkpoints"), ... statements on db_ ...
//   };
//
// Threading: one store per plugin instance, used from its pipeline thread.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "fanout/plugin.hpp"
#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/connection.hpp"
#include "fanout/sql/postgres_connection.hpp"
#include "fanout/sql/sqlite_connection.hpp"

namespace fanout::sql {

class BatchStore {
public:
    virtual ~BatchStore() = default;
    BatchStore(const BatchStore&) = delete;
    BatchStore& operator=(const BatchStore&) = delete;

    virtual Backend backend() const noexcept = 0;

    /// next_offset per partition for `group` (k_no_checkpoint when none);
    /// creates the missing rows. Its own transaction. Throws on failure.
    std::vector<std::int64_t> load_checkpoints(std::string_view group, std::span<const TopicPartition> partitions) {
        return sql::load_checkpoints(*session_, checkpoint_table_, group, partitions);
    }

    /// Start the batch's write transaction.
    virtual void begin() = 0;
    /// Move each partition's checkpoint from `expected` to `next`. False when
    /// a row did not hold its expected offset (fenced); roll back then.
    virtual bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) = 0;
    virtual void commit() = 0;
    /// Roll back the open transaction, if any. False when even that failed:
    /// the connection is gone, make a new store.
    virtual bool rollback() noexcept = 0;
    /// False once the connection is known to be unusable.
    virtual bool usable() const noexcept = 0;
    /// Rows the open transaction's statements changed so far.
    virtual std::uint64_t rows_written() const noexcept = 0;
    /// The projection's checkpoint table.
    const std::string& checkpoint_table() const noexcept { return checkpoint_table_; }

protected:
    /// `session`: open, with the projection's tables in place (checkpoint
    /// table `checkpoint_table` among them).
    BatchStore(std::unique_ptr<soci::session> session, std::string_view checkpoint_table)
        : session_(std::move(session)), checkpoint_table_(checkpoint_table) {}

    soci::session& session() noexcept { return *session_; }

private:
    // Destroyed after the derived classes' statements, which need it.
    std::unique_ptr<soci::session> session_;
    std::string checkpoint_table_;
};

/// Empty every list of a projection's batch changes, keeping their
/// allocations: `void clear() { sql::clear_all(new_rows, updates, ...); }`.
template <typename... Lists>
void clear_all(Lists&... lists) noexcept {
    (lists.clear(), ...);
}

/// A projection's store that only writes: the batch transaction and the
/// batch's changes (counters, appends: nothing to read first).
template <typename Changes>
class ChangeStore : public BatchStore {
public:
    /// Write the batch's changes in the open transaction. Throws
    /// ConcurrentChange when a guarded row moved, DatabaseError otherwise.
    virtual void write(const Changes& changes) = 0;

protected:
    using BatchStore::BatchStore;
};

/// A projection's store that also loads what a batch must see of the rows it
/// touches (`Stored`, for their ids) before folding it.
template <typename Stored, typename Changes>
class ProjectionStore : public ChangeStore<Changes> {
public:
    /// Stored state of `ids`: out[i] for ids[i] (`out` is resized and reset).
    virtual void load(std::span<const std::string_view> ids, Stored& out) = 0;

protected:
    using ChangeStore<Changes>::ChangeStore;
};

/// `Store` (a BatchStore) on one backend: the transaction and the fenced
/// advance on `Connection`, which the derived class's statements use as
/// `db_`. Use SqliteBatchStore or PostgresBatchStore.
template <typename Store, typename Connection, typename Checkpoints, Backend kind>
class BatchStoreOn : public Store {
public:
    Backend backend() const noexcept final { return kind; }
    void begin() final { db_.begin(); }
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) final {
        return checkpoints_.advance(group, advances);
    }
    void commit() final { db_.commit(); }
    bool rollback() noexcept final { return db_.rollback(); }
    bool usable() const noexcept final { return db_.usable(); }
    std::uint64_t rows_written() const noexcept final { return db_.rows_written(); }

protected:
    /// `extra`: what Checkpoints takes before the table (PostgreSQL: the
    /// advance's statement name).
    template <typename... Extra>
    BatchStoreOn(std::unique_ptr<soci::session> session, std::string_view checkpoint_table, Extra&&... extra)
        : Store(std::move(session), checkpoint_table),
          db_(this->session()),
          checkpoints_(db_, std::forward<Extra>(extra)..., checkpoint_table) {}

    Connection db_;

private:
    Checkpoints checkpoints_;
};

/// Constructed with (session, checkpoint table).
template <typename Store>
using SqliteBatchStore = BatchStoreOn<Store, SqliteConnection, SqliteCheckpoints, Backend::sqlite>;
/// Constructed with (session, checkpoint table, name of the advance statement).
template <typename Store>
using PostgresBatchStore = BatchStoreOn<Store, PostgresConnection, PostgresCheckpoints, Backend::postgresql>;

}  // namespace fanout::sql
