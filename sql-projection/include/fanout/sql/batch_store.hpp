#pragma once
// The part of a projection's store that every projection shares: one write
// transaction per batch on its connection, and the fenced advance of its
// checkpoint table in that transaction. A projection's store derives from
// BatchStore, adds its own loads and writes, and gets the backend part from
// SqliteBatchStore<Store> or PostgresBatchStore<Store>:
//
//   class Store : public sql::BatchStore {       // + virtual load / write
//   protected:
//       explicit Store(std::unique_ptr<soci::session> s) : BatchStore(std::move(s), "my_checkpoints") {}
//   };
//   class SqliteStore final : public sql::SqliteBatchStore<Store> { ... statements on db_ ... };
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

protected:
    /// `session`: open, with the projection's tables in place (checkpoint
    /// table `checkpoint_table` among them).
    BatchStore(std::unique_ptr<soci::session> session, std::string_view checkpoint_table)
        : session_(std::move(session)), checkpoint_table_(checkpoint_table) {}

    soci::session& session() noexcept { return *session_; }
    const std::string& checkpoint_table() const noexcept { return checkpoint_table_; }

private:
    // Destroyed after the derived classes' statements, which need it.
    std::unique_ptr<soci::session> session_;
    std::string checkpoint_table_;
};

/// SQLite: `Store` (a BatchStore taking the session in its constructor) on a
/// SqliteConnection, `db_`, for the derived class's statements.
template <typename Store>
class SqliteBatchStore : public Store {
public:
    Backend backend() const noexcept final { return Backend::sqlite; }
    void begin() final { db_.begin(); }
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) final {
        return checkpoints_.advance(group, advances);
    }
    void commit() final { db_.commit(); }
    bool rollback() noexcept final { return db_.rollback(); }
    bool usable() const noexcept final { return db_.usable(); }

protected:
    explicit SqliteBatchStore(std::unique_ptr<soci::session> session)
        : Store(std::move(session)), db_(this->session()), checkpoints_(db_, this->checkpoint_table()) {}

    SqliteConnection db_;

private:
    SqliteCheckpoints checkpoints_;
};

/// PostgreSQL: `Store` on a PostgresConnection, `db_`, for the derived
/// class's statements; the advance is prepared as `advance_statement`.
template <typename Store>
class PostgresBatchStore : public Store {
public:
    Backend backend() const noexcept final { return Backend::postgresql; }
    void begin() final { db_.begin(); }
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) final {
        return checkpoints_.advance(group, advances);
    }
    void commit() final { db_.commit(); }
    bool rollback() noexcept final { return db_.rollback(); }
    bool usable() const noexcept final { return db_.usable(); }

protected:
    PostgresBatchStore(std::unique_ptr<soci::session> session, std::string advance_statement)
        : Store(std::move(session)),
          db_(this->session()),
          checkpoints_(db_, std::move(advance_statement), this->checkpoint_table()) {}

    PostgresConnection db_;

private:
    PostgresCheckpoints checkpoints_;
};

}  // namespace fanout::sql
