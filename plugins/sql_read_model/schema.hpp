#pragma once
// The read model's SQL schema, shared by the sql_read_model plugin (which
// writes it) and post-query (which reads it). Same DDL on SQLite and
// PostgreSQL: dates are RFC 3339 UTC text with milliseconds (sortable as
// text), booleans are 0/1 integers.
//
// Tables: posts (live posts only), comments, checkpoints (the sql_read_model
// plugin's Kafka positions), removed_posts (tombstones: a removed post's row
// is deleted from posts, its id and last version are kept here so replays
// stay idempotent; readers never need to look at it), schema_version.
#include <string>

#include <soci/soci.h>

namespace fanout::read_model {

/// Current schema version of the read model.
///   1: posts, comments, checkpoints
///   2: removed_posts (tombstones: post id + the version that removed it)
inline constexpr int k_schema_version = 2;

enum class Backend { sqlite, postgresql };

/// Page size of a SQLite database that open_session creates; a file that
/// exists keeps its own (changing it takes a VACUUM outside WAL mode).
inline constexpr int k_sqlite_page_size = 16384;
/// Longest WAL, in bytes, before a commit checkpoints it (wal_autocheckpoint).
inline constexpr int k_sqlite_wal_bytes = 256 << 20;

/// "sqlite3" or "postgresql", from the session's backend.
Backend backend_of(soci::session& session);

/// Create or migrate the schema to k_schema_version in one transaction.
/// Idempotent; safe when several processes start at once on PostgreSQL
/// (an advisory lock serialises them). Throws soci::soci_error.
void migrate(soci::session& session);

/// The version recorded in the database (0 when the schema is absent).
int current_version(soci::session& session);

/// True when `connection` names a PostgreSQL database (a postgres:// or
/// postgresql:// URL, or a libpq "key=value ..." string); false for SQLite.
bool is_postgresql(const std::string& connection);

/// Open a SOCI session from a connection string:
///   sqlite:/path/to/file.db   (or sqlite3://..., or a plain path ending .db)
///   postgresql://user:pass@host:port/db  or  "dbname=... host=..." (libpq;
//   any string with '=' that has no sqlite prefix)
/// SQLite sessions get WAL, synchronous=NORMAL and a busy timeout; a new
/// file gets k_sqlite_page_size.
void open_session(soci::session& session, const std::string& connection);

}  // namespace fanout::read_model
