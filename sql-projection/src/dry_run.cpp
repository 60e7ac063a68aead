#include "fanout/sql/dry_run.hpp"

#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/errors.hpp"
#include "fanout/sql/sqlite_connection.hpp"

namespace fanout::sql {

SqliteDryRun::SqliteDryRun() : session_(soci::sqlite3, ":memory:"), db_(std::make_unique<SqliteConnection>(session_)) {}

SqliteDryRun::~SqliteDryRun() = default;

std::optional<SqliteDryRun::Failure> SqliteDryRun::migrate(const Schema& schema, std::string_view checkpoint_table) {
    for (std::size_t m = 0; m < schema.migrations.size(); ++m) {
        const auto& statements = schema.migrations[m].for_backend(Backend::sqlite);
        for (std::size_t k = 0; k < statements.size(); ++k) {
            try {
                db_->exec(statements[k].c_str());
            } catch (const DatabaseError& e) {
                return Failure{m, k, one_line(sqlite_api::sqlite3_errmsg(db_->handle()))};
            }
        }
    }
    if (!checkpoint_table.empty()) db_->exec(checkpoint_table_ddl(checkpoint_table).c_str());
    return std::nullopt;
}

std::optional<std::string> SqliteDryRun::prepare(const std::string& sql) {
    try {
        db_->prepare(sql.c_str());
    } catch (const DatabaseError&) {
        return one_line(sqlite_api::sqlite3_errmsg(db_->handle()));
    }
    return std::nullopt;
}

}  // namespace fanout::sql
