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

namespace fanout::plugins::analytics {

/// Current schema version.
///   1: analytics_posts, analytics_authors, analytics_days, analytics_checkpoints
inline constexpr int k_schema_version = 1;

/// The plugin's checkpoint table (fanout/sql/checkpoint_table.hpp).
inline constexpr std::string_view k_checkpoint_table = "analytics_checkpoints";

/// Create or migrate the tables to k_schema_version in one transaction.
/// Idempotent; several processes starting at once on PostgreSQL are
/// serialised by an advisory lock. Throws soci::soci_error.
void migrate(soci::session& session);

}  // namespace fanout::plugins::analytics
