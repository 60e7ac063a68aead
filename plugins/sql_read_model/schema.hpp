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
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/connection.hpp"
#include "fanout/sql/migrations.hpp"

namespace fanout::read_model {

/// Current schema version of the read model.
///   1: posts, comments, checkpoints
///   2: removed_posts (tombstones: post id + the version that removed it)
inline constexpr int k_schema_version = 2;

using sql::Backend;
using sql::backend_of;

/// The sql_read_model plugin's checkpoint table (fanout/sql/checkpoint_table.hpp).
inline constexpr std::string_view k_checkpoint_table = "checkpoints";

/// The read model's migrations (k_schema_version of them), component
/// "read_model" in the table schema_version (fanout/sql/migrations.hpp).
const sql::Schema& schema();

/// Create or migrate the schema to k_schema_version in one transaction
/// (sql::migrate). Idempotent; safe when several processes start at once.
/// Throws sql::SchemaError or the driver's error.
void migrate(soci::session& session);

/// The version recorded in the database (0 when the schema is absent).
int current_version(soci::session& session);

/// sql::open_session (fanout/sql/connection.hpp), and foreign keys checked
/// on SQLite.
void open_session(soci::session& session, const std::string& connection);

}  // namespace fanout::read_model
