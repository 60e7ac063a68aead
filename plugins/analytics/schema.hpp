#pragma once
// The analytics tables. Same DDL on SQLite and PostgreSQL; every name starts
// with analytics_, so the tables can share a database with the read model.
//
//   analytics_posts          one row per post: author, likes, applied_version
//                            (idempotence), removed (0/1), day_posted
//   analytics_authors        per user: posts written, comments written, likes
//                            received on their posts
//   analytics_days           per UTC day (YYYY-MM-DD): posts, comments, likes
//   analytics_checkpoints    the plugin's Kafka positions
//   analytics_schema_version
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/migrations.hpp"

namespace fanout::plugins::analytics {

/// Current schema version.
///   1: analytics_posts, analytics_authors, analytics_days, analytics_checkpoints
inline constexpr int k_schema_version = 1;

/// The plugin's checkpoint table (fanout/sql/checkpoint_table.hpp).
inline constexpr std::string_view k_checkpoint_table = "analytics_checkpoints";

/// The plugin's migrations (k_schema_version of them), component "analytics"
/// in the table analytics_schema_version (fanout/sql/migrations.hpp).
const sql::Schema& schema();

/// Create or migrate the tables to k_schema_version in one transaction
/// (sql::migrate). Idempotent; safe when several processes start at once.
inline void migrate(soci::session& session) { sql::migrate(session, schema()); }

}  // namespace fanout::plugins::analytics
