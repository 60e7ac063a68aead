#pragma once
// A projection's own tables, versioned: it declares its migrations in order
// and the engine applies the missing ones once, in one transaction, recording
// each in the database.
//
//   const sql::Schema k_schema{"my_projection", {
//       {"counts per author", {"CREATE TABLE my_counts (author TEXT PRIMARY KEY, n BIGINT NOT NULL)"}},
//       {"day column", {"ALTER TABLE my_counts ADD COLUMN day TEXT"}},   // appended later
//   }};
//   sql::migrate(session, k_schema);   // version 2 recorded; a second call does nothing
//
// Records, in the database:
//   - the version table (default `schema_version`: component, version), one
//     row per component, which readers such as post-query check;
//   - `fanout_schema_history`: component, version, description, checksum of
//     the statements, applied_at (UTC). A migration whose statements changed
//     after it was applied stops the start with both checksums: migrations
//     are appended, never edited. A database migrated before this table
//     existed gets its rows filled in on first use.
//
// Concurrency: SQLite takes the write lock first (BEGIN IMMEDIATE);
// PostgreSQL takes one transaction-level advisory lock shared by every Fanout
// migration, so two processes starting at once apply each migration once.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/connection.hpp"

namespace fanout::sql {

struct Migration {
    /// What it does, for the history table and messages.
    std::string description;
    /// Its statements, run in order on both backends...
    std::vector<std::string> statements;
    /// ...unless this is not empty: PostgreSQL runs these instead.
    std::vector<std::string> postgresql_statements = {};

    const std::vector<std::string>& for_backend(Backend backend) const noexcept {
        return backend == Backend::postgresql && !postgresql_statements.empty() ? postgresql_statements : statements;
    }
};

struct Schema {
    /// The component's name in the version and history tables ("read_model").
    std::string component;
    /// migrations[i] takes the schema from version i to i + 1.
    std::vector<Migration> migrations;
    /// Where the component's current version is kept.
    std::string version_table = "schema_version";

    int version() const noexcept { return static_cast<int>(migrations.size()); }
};

/// The database holds a schema this build cannot use: a newer version than
/// it knows, or a migration edited after it was applied. Permanent.
class SchemaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MigrationResult {
    int from = 0;  ///< version found
    int to = 0;    ///< version now (schema.version())
};

/// Apply the migrations the database has not seen, in order, in one
/// transaction with their records. Throws SchemaError (see above) or the
/// driver's error (the transaction is rolled back).
MigrationResult migrate(soci::session& session, const Schema& schema);

/// The version recorded for the component (0 when none); creates the version
/// table when it is missing. Throws the driver's error.
int recorded_version(soci::session& session, const Schema& schema);

/// Hex FNV-1a 64 of a migration's statements for a backend (the history's checksum).
std::string migration_checksum(const std::vector<std::string>& statements);

}  // namespace fanout::sql
