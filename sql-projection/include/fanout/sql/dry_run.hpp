#pragma once
// A projection's schema and statements tried without its database, for
// `fanoutd --check-config`: the migrations run on an empty in-memory SQLite
// database, then statements are prepared against the tables they made.
//
//   sql::SqliteDryRun dry;
//   if (auto failure = dry.migrate(schema, "my_checkpoints")) ... migration failure->migration, statement ...
//   if (auto error = dry.prepare("UPDATE my_counts SET n = n + 1 WHERE author = ?1")) ... *error
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/migrations.hpp"

namespace fanout::sql {

class SqliteConnection;

class SqliteDryRun {
public:
    /// Opens the in-memory database. Throws DatabaseError.
    SqliteDryRun();
    ~SqliteDryRun();
    SqliteDryRun(const SqliteDryRun&) = delete;
    SqliteDryRun& operator=(const SqliteDryRun&) = delete;

    struct Failure {
        std::size_t migration = 0;  ///< 0-based, in schema.migrations
        std::size_t statement = 0;  ///< 0-based, in its SQLite statements
        std::string message;        ///< SQLite's, on one line
    };
    /// Run every SQLite statement of `schema` in order, then the checkpoint
    /// table's DDL (`checkpoint_table`, unless empty). The first statement
    /// that fails; the ones after it are not run (they build on it).
    std::optional<Failure> migrate(const Schema& schema, std::string_view checkpoint_table);
    /// Prepare `sql` (positional parameters) against the tables so far:
    /// SQLite's message when it does not compile, nullopt when it does.
    std::optional<std::string> prepare(const std::string& sql);

private:
    soci::session session_;
    std::unique_ptr<SqliteConnection> db_;
};

}  // namespace fanout::sql
