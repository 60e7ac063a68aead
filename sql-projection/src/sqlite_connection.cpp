#include "fanout/sql/sqlite_connection.hpp"

#include "fanout/sql/connection.hpp"
#include "fanout/sql/errors.hpp"

namespace fanout::sql {

using namespace sqlite_api;

SqliteConnection::SqliteConnection(soci::session& session)
    : db_(static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_),
      wal_limit_(sqlite_wal_limit(session)) {
    const char* file = sqlite3_db_filename(db_, "main");
    if (file != nullptr && *file != '\0') checkpointer_ = std::make_unique<WalCheckpointer>(file);
    // Replaces the automatic checkpoint (wal_checkpointer.hpp: half way on
    // the checkpointer's thread, at the limit in place).
    sqlite3_wal_hook(db_, &SqliteConnection::on_commit, this);
}

int SqliteConnection::on_commit(void* self, sqlite3* db, const char* name, int frames) {
    auto* connection = static_cast<SqliteConnection*>(self);
    if (frames >= connection->wal_limit_) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (connection->checkpointer_ && frames >= connection->wal_limit_ / 2) {
        connection->checkpointer_->request();
    }
    return SQLITE_OK;
}

SqliteConnection::~SqliteConnection() {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();
}

SqliteConnection::Statement SqliteConnection::prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
        throw DatabaseError(std::string("sqlite: cannot prepare statement: ") + sqlite3_errmsg(db_));
    }
    return Statement(statement, &sqlite3_finalize);
}

void SqliteConnection::fail(const char* what) {
    const int code = sqlite3_extended_errcode(db_);
    // Busy/locked/full leave the connection usable; I/O or corruption may not.
    const int primary = code & 0xff;
    if (primary != SQLITE_BUSY && primary != SQLITE_LOCKED && primary != SQLITE_FULL && primary != SQLITE_CONSTRAINT &&
        primary != SQLITE_MISMATCH && primary != SQLITE_RANGE && primary != SQLITE_TOOBIG && primary != SQLITE_ERROR) {
        broken_ = true;
    }
    throw DatabaseError(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_) + " (code " + std::to_string(code) +
                        ")");
}

void SqliteConnection::exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
}

std::string_view SqliteConnection::text(sqlite3_stmt* statement, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column))};
}

void SqliteConnection::bind(sqlite3_stmt* statement, int index, std::string_view text) {
    if (sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC) != SQLITE_OK) {
        fail("bind");
    }
}

int SqliteConnection::last_error_code() const noexcept { return sqlite3_extended_errcode(db_); }

void SqliteConnection::bind(sqlite3_stmt* statement, int index, double value) {
    if (sqlite3_bind_double(statement, index, value) != SQLITE_OK) fail("bind");
}

void SqliteConnection::bind(sqlite3_stmt* statement, int index, std::int64_t value) {
    if (sqlite3_bind_int64(statement, index, value) != SQLITE_OK) fail("bind");
}

void SqliteConnection::bind_null(sqlite3_stmt* statement, int index) {
    if (sqlite3_bind_null(statement, index) != SQLITE_OK) fail("bind");
}

void SqliteConnection::bind(sqlite3_stmt* statement, int index, std::optional<std::string_view> text) {
    text ? bind(statement, index, *text) : bind_null(statement, index);
}

int SqliteConnection::run(sqlite3_stmt* statement) { return finish_run(statement, sqlite3_step(statement)); }

int SqliteConnection::finish_run(sqlite3_stmt* statement, int rc) {
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) fail(sqlite3_sql(statement));
    const int changes = sqlite3_changes(db_);
    rows_ += static_cast<std::uint64_t>(changes);
    return changes;
}

void SqliteConnection::begin() {
    // IMMEDIATE: take the write lock now (waiting up to the busy timeout), so
    // two writers never deadlock upgrading a read snapshot.
    exec("BEGIN IMMEDIATE");
    rows_ = 0;
}

void SqliteConnection::commit() { exec("COMMIT"); }

bool SqliteConnection::rollback() noexcept {
    if (sqlite3_get_autocommit(db_) != 0) return !broken_;  // no transaction open
    if (sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK) {
        broken_ = true;
        return false;
    }
    return !broken_;
}

SqliteCheckpoints::SqliteCheckpoints(SqliteConnection& connection, std::string_view table)
    : connection_(connection),
      advance_(connection.prepare(("UPDATE " + std::string(table) +
                                   " SET next_offset = ?5"
                                   " WHERE consumer_group = ?1 AND topic = ?2 AND partition_id = ?3"
                                   " AND next_offset = ?4")
                                      .c_str())) {}

bool SqliteCheckpoints::advance(std::string_view group, std::span<const CheckpointAdvance> advances) {
    sqlite3_stmt* s = advance_.get();
    for (const CheckpointAdvance& a : advances) {
        if (connection_.run(s, group, a.topic, std::int64_t{a.partition}, a.expected, a.next) != 1) return false;
    }
    return true;
}

}  // namespace fanout::sql
