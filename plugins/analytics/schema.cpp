#include "schema.hpp"

#include "fanout/sql/checkpoint_table.hpp"

namespace fanout::plugins::analytics {
namespace {

// One row per post: its author and day (what its likes count for), its
// likes, the version applied (idempotence) and whether it was removed.
constexpr const char* k_posts_table =
    "CREATE TABLE IF NOT EXISTS analytics_posts (post_id TEXT PRIMARY KEY, author TEXT NOT NULL,"
    " day_posted TEXT NOT NULL, likes BIGINT NOT NULL DEFAULT 0, applied_version BIGINT NOT NULL,"
    " removed INTEGER NOT NULL DEFAULT 0)";
// Top posts: ORDER BY likes DESC LIMIT n walks this index.
constexpr const char* k_posts_by_likes =
    "CREATE INDEX IF NOT EXISTS analytics_posts_likes ON analytics_posts (likes DESC)";
// Per user: posts written, comments written, likes received on their posts.
constexpr const char* k_authors_table =
    "CREATE TABLE IF NOT EXISTS analytics_authors (author TEXT PRIMARY KEY, posts BIGINT NOT NULL DEFAULT 0,"
    " comments BIGINT NOT NULL DEFAULT 0, likes_received BIGINT NOT NULL DEFAULT 0)";
// Per UTC day (YYYY-MM-DD): posts, comments, likes.
constexpr const char* k_days_table =
    "CREATE TABLE IF NOT EXISTS analytics_days (day TEXT PRIMARY KEY, posts BIGINT NOT NULL DEFAULT 0,"
    " comments BIGINT NOT NULL DEFAULT 0, likes BIGINT NOT NULL DEFAULT 0)";

}  // namespace

const sql::Schema& schema() {
    // Migration N takes the schema from version N-1 to N. Append, never edit.
    static const sql::Schema k_schema{
        "analytics",
        {{"posts, authors, days, checkpoints",
          {k_posts_table, k_posts_by_likes, k_authors_table, k_days_table, sql::checkpoint_table_ddl(k_checkpoint_table)}}},
        "analytics_schema_version",
    };
    return k_schema;
}

}  // namespace fanout::plugins::analytics
