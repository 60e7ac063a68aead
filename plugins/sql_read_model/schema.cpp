#include "schema.hpp"

#include "fanout/sql/checkpoint_table.hpp"

#include <stdexcept>
#include <vector>

namespace fanout::read_model {
namespace {

// Migration N takes the schema from version N-1 to N. Append, never edit.
const std::vector<std::vector<std::string>> k_migrations = {
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
    },
    {
        // Tombstones of removed posts: PostRemovedEvent deletes the post row
        // (readers need no filter), and the version kept here makes a replay
        // or a late event of a removed post a duplicate or a reject, never a
        // resurrection.
        "CREATE TABLE IF NOT EXISTS removed_posts ("
        " post_id TEXT PRIMARY KEY,"
        " applied_version BIGINT NOT NULL)",
    },
};

}  // namespace

int current_version(soci::session& session) {
    session << "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
    int version = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT version FROM schema_version WHERE component = 'read_model'", soci::into(version, ind);
    return ind == soci::i_ok ? version : 0;
}

void migrate(soci::session& session) {
    soci::transaction tx(session);
    if (backend_of(session) == Backend::postgresql) {
        session << "SELECT pg_advisory_xact_lock(74657)";  // released at commit
    }
    const int from = current_version(session);
    if (from > k_schema_version) {
        throw std::runtime_error("read model schema version " + std::to_string(from) +
                                 " is newer than this build understands (" + std::to_string(k_schema_version) + ")");
    }
    if (k_migrations.size() != static_cast<std::size_t>(k_schema_version)) {
        throw std::logic_error("read model: k_schema_version does not match the number of migrations");
    }
    for (int v = from; v < k_schema_version; ++v) {
        for (const auto& statement : k_migrations[static_cast<std::size_t>(v)]) session << statement;
    }
    if (from == 0) {
        session << "INSERT INTO schema_version (component, version) VALUES ('read_model', :v)",
            soci::use(k_schema_version);
    } else if (from < k_schema_version) {
        session << "UPDATE schema_version SET version = :v WHERE component = 'read_model'", soci::use(k_schema_version);
    }
    tx.commit();
}

void open_session(soci::session& session, const std::string& connection) {
    sql::open_session(session, connection);
    if (backend_of(session) == Backend::sqlite) session << "PRAGMA foreign_keys=ON";
}

}  // namespace fanout::read_model
