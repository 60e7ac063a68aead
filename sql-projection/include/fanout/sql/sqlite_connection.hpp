#pragma once
// SQLite through the C API on a SOCI session's connection: reused prepared
// statements bound without copying, one IMMEDIATE transaction per batch, and
// the WAL kept short by a WalCheckpointer instead of the automatic checkpoint.
//
// Threading: one SqliteConnection per store, used from the projection's
// pipeline thread (the checkpointer has its own thread and connection).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <soci/soci.h>
// SOCI declares the SQLite API inside namespace sqlite_api.
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/wal_checkpointer.hpp"

namespace fanout::sql {

class SqliteConnection {
public:
    using sqlite3 = sqlite_api::sqlite3;
    using sqlite3_stmt = sqlite_api::sqlite3_stmt;
    using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

    /// `session` is an open sqlite3 SOCI session that outlives this object.
    /// A commit that leaves sqlite_wal_limit(session) frames in the WAL
    /// checkpoints it in place; a file database checkpoints from half of that
    /// on a WalCheckpointer. Throws DatabaseError, soci::soci_error.
    explicit SqliteConnection(soci::session& session);
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    /// A persistent prepared statement. Throws DatabaseError.
    Statement prepare(const char* sql);
    /// Run SQL without parameters. Throws DatabaseError.
    void exec(const char* sql);
    /// Step a bound statement that returns no rows; returns sqlite3_changes().
    int run(sqlite3_stmt* statement);
    /// Step a bound statement to its end, `row(statement)` for each row it
    /// returns (columns via text(), sqlite3_column_*); then as run().
    template <typename Row>
    int run_rows(sqlite3_stmt* statement, Row&& row) {
        int rc = SQLITE_ROW;
        try {
            while ((rc = sqlite_api::sqlite3_step(statement)) == SQLITE_ROW) row(statement);
        } catch (...) {
            sqlite_api::sqlite3_reset(statement);
            throw;
        }
        return finish_run(statement, rc);
    }
    /// Bind `values` to parameters 1, 2, ... (see bind()), then run().
    template <typename... Values>
    requires(sizeof...(Values) > 0) int run(sqlite3_stmt* statement, const Values&... values) {
        int index = 0;
        (bind(statement, ++index, values), ...);
        return run(statement);
    }
    /// For each of `keys`: bind it to ?1 of `statement` and step; on a row,
    /// `found(i, statement)` reads it (columns via text(), sqlite3_column_*).
    /// Throws DatabaseError.
    template <typename Found>
    void lookup(sqlite3_stmt* statement, std::span<const std::string_view> keys, Found&& found) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            bind(statement, 1, keys[i]);
            int rc = sqlite_api::sqlite3_step(statement);
            if (rc == SQLITE_ROW) {
                found(i, statement);
                rc = SQLITE_DONE;
            }
            sqlite_api::sqlite3_reset(statement);
            if (rc != SQLITE_DONE) fail(sqlite_api::sqlite3_sql(statement));
        }
    }
    /// A text column of the current row ("" for NULL); valid until the next step or reset.
    static std::string_view text(sqlite3_stmt* statement, int column);
    /// Bind text that outlives the step (SQLITE_STATIC: not copied).
    void bind(sqlite3_stmt* statement, int index, std::string_view text);
    void bind(sqlite3_stmt* statement, int index, std::int64_t value);
    void bind(sqlite3_stmt* statement, int index, double value);
    void bind(sqlite3_stmt* statement, int index, bool value) { bind(statement, index, std::int64_t{value ? 1 : 0}); }
    void bind_null(sqlite3_stmt* statement, int index);
    /// Text, or NULL when empty.
    void bind(sqlite3_stmt* statement, int index, std::optional<std::string_view> text);
    /// Throw DatabaseError for the last call's error, marking the connection
    /// unusable unless the error leaves it usable (busy, locked, full, and the
    /// errors of one statement: constraint, mismatch, range, too big, error).
    [[noreturn]] void fail(const char* what);
    /// The last call's extended result code (sqlite3_extended_errcode).
    int last_error_code() const noexcept;

    /// BEGIN IMMEDIATE, COMMIT. Throw DatabaseError.
    void begin();
    void commit();
    /// Roll back the open transaction, if any. False when even that failed:
    /// the connection is gone.
    bool rollback() noexcept;
    /// False once the connection is known to be unusable.
    bool usable() const noexcept { return !broken_; }
    /// Rows changed by run() since begin().
    std::uint64_t rows_written() const noexcept { return rows_; }

    sqlite3* handle() const noexcept { return db_; }

private:
    int finish_run(sqlite3_stmt* statement, int rc);
    /// sqlite3_wal_hook: after each commit, with the frames now in the WAL.
    static int on_commit(void* self, sqlite3* db, const char* name, int frames);

    sqlite3* db_;
    bool broken_ = false;
    std::uint64_t rows_ = 0;
    int wal_limit_;
    std::unique_ptr<WalCheckpointer> checkpointer_;  ///< null for an in-memory database
};

/// The fenced advance of a checkpoint table (checkpoint_table.hpp) on SQLite.
class SqliteCheckpoints {
public:
    /// Prepares the advance on `connection`, which outlives this object.
    SqliteCheckpoints(SqliteConnection& connection, std::string_view table);

    /// In the open transaction: move each partition's row from `expected` to
    /// `next`. False when a row did not hold its expected offset (fenced);
    /// roll back then. Throws DatabaseError.
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances);

private:
    SqliteConnection& connection_;
    SqliteConnection::Statement advance_;
};

}  // namespace fanout::sql
