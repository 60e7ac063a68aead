// `fanoutd --check-config` for a projection definition: the YAML and the
// named parameters (load_definition), then, for SQLite, the migrations run on
// an empty in-memory database and every statement prepared against the tables
// they made, each problem at its place in the file.
#include "definition.hpp"
#include "fanout/sql/dry_run.hpp"

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

    sql::SqliteDryRun dry;
    if (const auto failure = dry.migrate(d.schema, d.checkpoint_table)) {
        // The migrations after it build on it: nothing more to check.
        const sql::Migration& migration = d.schema.migrations[failure->migration];
        out.errors.push_back(where(d, d.migration_places[failure->migration][failure->statement]) + "migration " +
                             std::to_string(failure->migration + 1) + " ('" + migration.description +
                             "') does not run on an empty SQLite database: " + failure->message);
        return out;
    }
    for (const auto& [type, list] : d.on) {
        for (const Statement& s : list) {
            try {
                const sql::NamedStatement named = compile(d, s, sql::Backend::sqlite);
                if (const auto error = dry.prepare(named.sql)) {
                    out.errors.push_back(where(d, s) + "statement '" + s.name + "' of " + type +
                                         " does not compile against the tables the migrations make: " + *error);
                }
            } catch (const DefinitionError& e) {
                out.errors.push_back(e.what());
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
