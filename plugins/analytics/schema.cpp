#include "schema.hpp"

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/connection.hpp"

#include <stdexcept>
#include <vector>

namespace fanout::plugins::analytics {
namespace {

// Migration N takes the schema from version N-1 to N. Append, never edit.
const std::vector<std::vector<std::string>> k_migrations = {
    {
        "CREATE TABLE IF NOT EXISTS analytics_posts ("
        " post_id TEXT PRIMARY KEY,"
        " author TEXT NOT NULL,"
        " day_posted TEXT NOT NULL,"
        " likes BIGINT NOT NULL DEFAULT 0,"
        " applied_version BIGINT NOT NULL,"
        " removed INTEGER NOT NULL DEFAULT 0)",
        // Top posts: ORDER BY likes DESC LIMIT n walks this index.
        "CREATE INDEX IF NOT EXISTS analytics_posts_likes ON analytics_posts (likes DESC)",
        "CREATE TABLE IF NOT EXISTS analytics_authors ("
        " author TEXT PRIMARY KEY,"
        " posts BIGINT NOT NULL DEFAULT 0,"
        " comments BIGINT NOT NULL DEFAULT 0,"
        " likes_received BIGINT NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS analytics_days ("
        " day TEXT PRIMARY KEY,"
        " posts BIGINT NOT NULL DEFAULT 0,"
        " comments BIGINT NOT NULL DEFAULT 0,"
        " likes BIGINT NOT NULL DEFAULT 0)",
        sql::checkpoint_table_ddl(k_checkpoint_table),
    },
};

int current_version(soci::session& session) {
    session << "CREATE TABLE IF NOT EXISTS analytics_schema_version ("
               " component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
    int version = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT version FROM analytics_schema_version WHERE component = 'analytics'", soci::into(version, ind);
    return session.got_data() && ind == soci::i_ok ? version : 0;
}

}  // namespace

void migrate(soci::session& session) {
    soci::transaction tx(session);
    if (sql::backend_of(session) == sql::Backend::postgresql) {
        session << "SELECT pg_advisory_xact_lock(74658)";  // released at commit
    }
    const int from = current_version(session);
    if (from > k_schema_version) {
        throw std::runtime_error("analytics schema version " + std::to_string(from) +
                                 " is newer than this build understands (" + std::to_string(k_schema_version) + ")");
    }
    if (k_migrations.size() != static_cast<std::size_t>(k_schema_version)) {
        throw std::logic_error("analytics: k_schema_version does not match the number of migrations");
    }
    for (int v = from; v < k_schema_version; ++v) {
        for (const auto& statement : k_migrations[static_cast<std::size_t>(v)]) session << statement;
    }
    if (from == 0) {
        session << "INSERT INTO analytics_schema_version (component, version) VALUES ('analytics', :v)",
            soci::use(k_schema_version);
    } else if (from < k_schema_version) {
        session << "UPDATE analytics_schema_version SET version = :v WHERE component = 'analytics'",
            soci::use(k_schema_version);
    }
    tx.commit();
}

}  // namespace fanout::plugins::analytics
