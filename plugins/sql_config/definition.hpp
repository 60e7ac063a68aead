#pragma once
// A projection written in configuration: its tables (migrations) and, per
// event type, the SQL statements an event runs, with named parameters bound
// from the event (fanout/sql/named_statement.hpp). Read from a YAML file:
//
//   component: likes                    # its name in schema_version and fanout_schema_history
//   checkpoint_table: likes_checkpoints # optional; default <component>_checkpoints
//   migrations:                         # applied once, in order; append, never edit
//     - description: likes per post
//       sql: CREATE TABLE likes (post_id TEXT PRIMARY KEY, n BIGINT NOT NULL)
//       postgresql: ...                 # optional: what PostgreSQL runs instead (text or list)
//   on:
//     PostLikedEvent:
//       - name: count the like
//         sql: >-
//           INSERT INTO likes (post_id, n) VALUES (:aggregate_id, 1)
//           ON CONFLICT (post_id) DO UPDATE SET n = likes.n + 1
//
// Every error names the file, line and column and what was expected.
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "fanout/sql/migrations.hpp"
#include "fanout/sql/named_statement.hpp"

namespace fanout::plugins::sql_config {

/// A definition refused: what() is "file:line:col: message".
class DefinitionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Statement {
    std::string name;
    std::string sql;       ///< as written, with named parameters
    int line = 0;          ///< of the sql text in the file (1-based)
    int column = 0;
};

/// Where a text is in the definition file (1-based).
struct Place {
    int line = 0;
    int column = 0;
};

struct Definition {
    std::filesystem::path file;
    std::string component;
    std::string checkpoint_table;
    sql::Schema schema;  ///< component's migrations, in schema_version
    /// Per migration, the place of each of its (SQLite) statements.
    std::vector<std::vector<Place>> migration_places;
    /// Per event type, its statements in order.
    std::map<std::string, std::vector<Statement>, std::less<>> on;
};

/// Read and check a definition file. Throws DefinitionError.
Definition load_definition(const std::filesystem::path& file);

/// A statement made positional for `backend`; throws DefinitionError at the
/// statement's place for a parameter that cannot be bound.
sql::NamedStatement compile(const Definition& definition, const Statement& statement, sql::Backend backend);

/// "file:line:col: " for messages about `statement`.
std::string where(const Definition& definition, const Statement& statement);
std::string where(const Definition& definition, Place place);

/// What `fanoutd --check-config` checks beyond load_definition: the
/// migrations applied to an empty in-memory SQLite database and every
/// statement prepared against it (`sqlite` true), or, for PostgreSQL, the
/// named parameters only (a note says so). Problems as "file:line:col: ...".
struct DefinitionCheck {
    std::vector<std::string> errors;
    std::vector<std::string> notes;
};
DefinitionCheck check_definition(const std::filesystem::path& file, sql::Backend backend);

}  // namespace fanout::plugins::sql_config
