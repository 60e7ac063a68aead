#pragma once
// Opening a projection's database with SOCI: SQLite or PostgreSQL, from one
// connection string (fanout/common/connection_string.hpp), with the session
// settings every projection wants.
#include <memory>
#include <string>

#include <soci/soci.h>

#include "fanout/sql/settings.hpp"

namespace fanout::sql {

enum class Backend { sqlite, postgresql };

/// Page size of a SQLite database that open_session creates; a file that
/// exists keeps its own (changing it takes a VACUUM outside WAL mode).
inline constexpr int k_sqlite_page_size = 16384;
/// Longest WAL, in bytes, before a commit checkpoints it (SqliteConnection).
inline constexpr int k_sqlite_wal_bytes = 256 << 20;

/// From the session's backend name.
Backend backend_of(soci::session& session);

/// True when `connection` names a PostgreSQL database (a postgres:// or
/// postgresql:// URL, or a libpq "key=value ..." string); false for SQLite
/// and for a string that does not parse.
bool is_postgresql(const std::string& connection);

/// Open a SOCI session from a connection string:
///   sqlite:/path/to/file.db   (or sqlite3:, sqlite://, sqlite3://, a plain path)
///   postgresql://user:pass@host:port/db  or  "dbname=... host=..." (libpq)
/// SQLite sessions get WAL and synchronous=NORMAL; a new file gets
/// k_sqlite_page_size. Throws soci::soci_error, common::ConnectionStringError.
void open_session(soci::session& session, const std::string& connection);

/// Put a SQLite session in WAL mode. Changing the journal mode takes an
/// exclusive lock, and SQLite answers "database is locked" at once, without
/// its busy handler (waiting could deadlock), while another connection that
/// is opening the same new file holds a lock: tried again for up to 10 s.
/// Throws soci::soci_error.
void enter_wal_mode(soci::session& session);

/// A projection's write session: open_session on the connection with its
/// connect timeout, then the lock timeout (SQLite busy_timeout, PostgreSQL
/// lock_timeout), quiet notices on PostgreSQL and a 64 MB page cache on
/// SQLite. Throws std::exception.
std::unique_ptr<soci::session> connect(const ConnectionSettings& settings);

/// Frames of the WAL, for this session's page size, that make
/// k_sqlite_wal_bytes (SqliteConnection checkpoints there).
int sqlite_wal_limit(soci::session& session);

}  // namespace fanout::sql
