// `fanoutd --check-config` for a projection definition: the YAML and the
// named parameters (load_definition), then, for SQLite, the migrations run on
// an empty in-memory database and every statement prepared against the tables
// they made, each problem at its place in the file.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "definition.hpp"
#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/errors.hpp"
#include "fanout/sql/sqlite_connection.hpp"

namespace fanout::plugins::sql_config {
namespace {

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

DefinitionCheck check_definition(const std::filesystem::path& file, sql::Backend backend) {
    DefinitionCheck out;
    Definition d;
    try {
        d = load_definition(file);
    } catch (const DefinitionError& e) {
        out.errors.push_back(e.what());
        return out;
    }
    std::size_t statements = 0;
    for (const auto& [type, list] : d.on) statements += list.size();
    if (backend == sql::Backend::postgresql) {
        out.notes.push_back("definition " + file.string() + ": " + plural(d.schema.migrations.size(), "migration") +
                            ", " + plural(statements, "statement") +
                            "; YAML and named parameters checked. PostgreSQL SQL is checked by the server only: "
                            "each statement is prepared against the migrated tables when the plugin starts, and a "
                            "statement that does not compile stops the start at its line");
        return out;
    }

    soci::session session(soci::sqlite3, ":memory:");
    sql::SqliteConnection db(session);
    for (std::size_t m = 0; m < d.schema.migrations.size(); ++m) {
        const sql::Migration& migration = d.schema.migrations[m];
        for (std::size_t k = 0; k < migration.statements.size(); ++k) {
            try {
                db.exec(migration.statements[k].c_str());
            } catch (const sql::DatabaseError& e) {
                // The migrations after it build on it: nothing more to check.
                out.errors.push_back(where(d, d.migration_places[m][k]) + "migration " + std::to_string(m + 1) + " ('" +
                                     migration.description + "') does not run on an empty SQLite database: " +
                                     sql::one_line(e.what()));
                return out;
            }
        }
    }
    db.exec(sql::checkpoint_table_ddl(d.checkpoint_table).c_str());
    for (const auto& [type, list] : d.on) {
        for (const Statement& s : list) {
            try {
                const sql::NamedStatement named = compile(d, s, sql::Backend::sqlite);
                db.prepare(named.sql.c_str());
            } catch (const DefinitionError& e) {
                out.errors.push_back(e.what());
            } catch (const sql::DatabaseError& e) {
                out.errors.push_back(where(d, s) + "statement '" + s.name + "' of " + type +
                                     " does not compile against the tables the migrations make: " +
                                     sql::one_line(e.what()));
            }
        }
    }
    if (out.errors.empty()) {
        out.notes.push_back("definition " + file.string() + ": " + plural(d.schema.migrations.size(), "migration") +
                            " applied to an empty SQLite database, " + plural(statements, "statement") +
                            " prepared against it");
    }
    return out;
}

}  // namespace fanout::plugins::sql_config
