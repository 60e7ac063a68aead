#include "schema.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/common/connection_string.hpp"

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
        "CREATE TABLE IF NOT EXISTS analytics_checkpoints ("
        " consumer_group TEXT NOT NULL,"
        " topic TEXT NOT NULL,"
        " partition_id INTEGER NOT NULL,"
        " next_offset BIGINT NOT NULL,"
        " PRIMARY KEY (consumer_group, topic, partition_id))",
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

Backend backend_of(soci::session& session) {
    return session.get_backend_name() == "postgresql" ? Backend::postgresql : Backend::sqlite;
}

void migrate(soci::session& session) {
    soci::transaction tx(session);
    if (backend_of(session) == Backend::postgresql) {
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

bool is_postgresql(const std::string& connection) {
    try {
        return common::parse_connection_string(connection).is_postgresql();
    } catch (const common::ConnectionStringError&) {
        return false;
    }
}

void open_session(soci::session& session, const std::string& connection) {
    const common::ConnectionString target = common::parse_connection_string(connection);
    if (target.is_postgresql()) {
        session.open(soci::postgresql, target.soci_connect_string());
        return;
    }
    session.open(soci::sqlite3, target.soci_connect_string() + " timeout=30");
    session << "PRAGMA journal_mode=WAL";
    session << "PRAGMA synchronous=NORMAL";
}

}  // namespace fanout::plugins::analytics
