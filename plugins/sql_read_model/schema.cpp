#include "schema.hpp"

#include "fanout/sql/checkpoint_table.hpp"

namespace fanout::read_model {

const sql::Schema& schema() {
    // Migration N takes the schema from version N-1 to N. Append, never edit.
    static const sql::Schema k_schema{
        "read_model",
        {
            {"posts, comments, checkpoints",
             {
                 "CREATE TABLE IF NOT EXISTS posts ("
                 " post_id TEXT PRIMARY KEY,"
                 " author TEXT NOT NULL,"
                 " message TEXT NOT NULL,"
                 " date_posted TEXT NOT NULL,"
                 " likes BIGINT NOT NULL DEFAULT 0,"
                 " applied_version BIGINT NOT NULL)",
                 "CREATE INDEX IF NOT EXISTS posts_author ON posts (author)",
                 "CREATE INDEX IF NOT EXISTS posts_likes ON posts (likes)",
                 "CREATE TABLE IF NOT EXISTS comments ("
                 " comment_id TEXT PRIMARY KEY,"
                 " post_id TEXT NOT NULL REFERENCES posts (post_id) ON DELETE CASCADE,"
                 " username TEXT NOT NULL,"
                 " comment TEXT NOT NULL,"
                 " comment_date TEXT NOT NULL,"
                 " edited INTEGER NOT NULL DEFAULT 0)",
                 "CREATE INDEX IF NOT EXISTS comments_post ON comments (post_id)",
                 sql::checkpoint_table_ddl(k_checkpoint_table),
             }},
            // Tombstones of removed posts: PostRemovedEvent deletes the post
            // row (readers need no filter), and the version kept here makes a
            // replay or a late event of a removed post a duplicate or a
            // reject, never a resurrection.
            {"removed_posts (tombstones)",
             {
                 "CREATE TABLE IF NOT EXISTS removed_posts ("
                 " post_id TEXT PRIMARY KEY,"
                 " applied_version BIGINT NOT NULL)",
             }},
        },
    };
    return k_schema;
}

int current_version(soci::session& session) { return sql::recorded_version(session, schema()); }

void migrate(soci::session& session) { sql::migrate(session, schema()); }

void open_session(soci::session& session, const std::string& connection) {
    sql::open_session(session, connection);
    if (backend_of(session) == Backend::sqlite) session << "PRAGMA foreign_keys=ON";
}

}  // namespace fanout::read_model
