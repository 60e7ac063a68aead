#include "store_connection.hpp"

#include <stdexcept>
#include <vector>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/common/connection_string.hpp"

namespace fanout::post_command {
namespace {

constexpr int k_schema_version = 1;

// Migration N takes the schema from version N-1 to N. Append, never edit.
std::vector<std::string> migration_1(Backend backend) {
    const bool pg = backend == Backend::postgresql;
    return {
        // UNIQUE (aggregate_id, version): the database, not a read-then-write
        // check, decides which of two concurrent writers wins.
        std::string("CREATE TABLE IF NOT EXISTS events (") +
            // SQLite: INTEGER PRIMARY KEY is the rowid, assigned max + 1.
            // The table is append-only, so that never reuses or goes back;
            // AUTOINCREMENT would add a sqlite_sequence write per insert.
            (pg ? " global_sequence BIGSERIAL PRIMARY KEY," : " global_sequence INTEGER PRIMARY KEY,") +
            " event_id TEXT NOT NULL,"
            " aggregate_id TEXT NOT NULL,"
            " version BIGINT NOT NULL,"
            " type TEXT NOT NULL,"
            " data TEXT NOT NULL,"
            " occurred_at TEXT NOT NULL,"
            " CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version))",
        "CREATE TABLE IF NOT EXISTS snapshots ("
        " aggregate_id TEXT PRIMARY KEY,"
        " version BIGINT NOT NULL,"
        " state TEXT NOT NULL,"
        " taken_at TEXT NOT NULL)",
        // One row per destination topic: the relay's durable position.
        "CREATE TABLE IF NOT EXISTS outbox_position ("
        " destination TEXT PRIMARY KEY,"
        " published_sequence BIGINT NOT NULL,"
        " updated_at TEXT NOT NULL)",
    };
}

int current_version(soci::session& session) {
    session << "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
    int version = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT version FROM schema_version WHERE component = 'event_store'", soci::into(version, ind);
    return ind == soci::i_ok ? version : 0;
}

}  // namespace

std::string StoreLocation::display() const {
    if (backend == Backend::sqlite) return "sqlite:" + target;
    return common::redact_connection_string(target);
}

StoreLocation parse_store_location(const std::string& connection) {
    const common::ConnectionString parsed = common::parse_connection_string(connection);
    if (parsed.is_sqlite()) return {Backend::sqlite, parsed.path};
    return {Backend::postgresql, connection};
}

void open_store_session(soci::session& session, const StoreLocation& location, const SqliteTuning& tuning) {
    if (location.backend == Backend::postgresql) {
        session.open(soci::postgresql, common::parse_connection_string(location.target).soci_connect_string());
        session << "SET client_min_messages TO WARNING";  // no NOTICEs from CREATE ... IF NOT EXISTS on stderr
        return;
    }
    common::ConnectionString sqlite;
    sqlite.path = location.target;
    session.open(soci::sqlite3,
                 sqlite.soci_connect_string() + " timeout=" + std::to_string(tuning.busy_timeout_ms / 1000));
    session << "PRAGMA busy_timeout = " + std::to_string(tuning.busy_timeout_ms);
    session << "PRAGMA journal_mode = WAL";
    session << "PRAGMA synchronous = " + tuning.synchronous;
    if (tuning.background_checkpoints) session << "PRAGMA wal_autocheckpoint = " << k_backstop_checkpoint_frames;
}

void migrate_store(soci::session& session, Backend backend) {
    soci::transaction tx(session);
    if (backend == Backend::postgresql) session << "SELECT pg_advisory_xact_lock(" << advisory_lock::migrate << ")";
    const int from = current_version(session);
    if (from > k_schema_version) {
        throw std::runtime_error("event store schema version " + std::to_string(from) +
                                 " is newer than this build understands (" + std::to_string(k_schema_version) + ")");
    }
    if (from < 1) {
        for (const auto& statement : migration_1(backend)) session << statement;
    }
    if (from == 0) {
        session << "INSERT INTO schema_version (component, version) VALUES ('event_store', :v)",
            soci::use(k_schema_version);
    } else if (from < k_schema_version) {
        session << "UPDATE schema_version SET version = :v WHERE component = 'event_store'",
            soci::use(k_schema_version);
    }
    tx.commit();
}

}  // namespace fanout::post_command
