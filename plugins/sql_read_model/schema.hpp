#pragma once
// The read model's SQL schema, shared by the sql_read_model plugin (which
// writes it) and post-query (which reads it). Same DDL on SQLite and
// PostgreSQL: dates are RFC 3339 UTC text with milliseconds (sortable as
// text), booleans are 0/1 integers.
#include <string>

#include <soci/soci.h>

namespace fanout::read_model {

/// Current schema version of the read model.
inline constexpr int k_schema_version = 1;

enum class Backend { sqlite, postgresql };

/// "sqlite3" or "postgresql", from the session's backend.
Backend backend_of(soci::session& session);

/// Create or migrate the schema to k_schema_version in one transaction.
/// Idempotent; safe when several processes start at once on PostgreSQL
/// (an advisory lock serialises them). Throws soci::soci_error.
void migrate(soci::session& session);

/// The version recorded in the database (0 when the schema is absent).
int current_version(soci::session& session);

/// Open a SOCI session from a connection string:
///   sqlite:/path/to/file.db   (or sqlite3://..., or a plain path ending .db)
///   postgresql://user:pass@host:port/db  or  "dbname=... host=..." (libpq)
/// SQLite sessions get WAL, synchronous=NORMAL and a busy timeout.
void open_session(soci::session& session, const std::string& connection);

}  // namespace fanout::read_model
