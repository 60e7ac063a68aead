#include "store_connection.hpp"

#include <string>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/common/connection_string.hpp"
#include "fanout/sql/migrations.hpp"
#include "fanout/sql/connection.hpp"

namespace fanout::post_command {
namespace {

/// The event store's tables; migration N takes the schema from version N-1
/// to N. Append, never edit.
sql::Schema make_event_store_schema() {
    const auto events = [](const char* global_sequence) {
        // UNIQUE (aggregate_id, version): the database, not a read-then-write
        // check, decides which of two concurrent writers wins.
        return std::string("CREATE TABLE IF NOT EXISTS events (") + global_sequence +
               " event_id TEXT NOT NULL,"
               " aggregate_id TEXT NOT NULL,"
               " version BIGINT NOT NULL,"
               " type TEXT NOT NULL,"
               " data TEXT NOT NULL,"
               " occurred_at TEXT NOT NULL,"
               " CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version))";
    };
    const std::string rest[] = {
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
    // SQLite: INTEGER PRIMARY KEY is the rowid, assigned max + 1. The table
    // is append-only, so that never reuses or goes back; AUTOINCREMENT would
    // add a sqlite_sequence write per insert.
    return sql::Schema{
        "event_store",
        {{"events, snapshots, outbox_position",
          {events(" global_sequence INTEGER PRIMARY KEY,"), rest[0], rest[1]},
          {events(" global_sequence BIGSERIAL PRIMARY KEY,"), rest[0], rest[1]}},
         // Who acted (the authenticated user), NULL when nobody was identified.
         {"events.actor", {"ALTER TABLE events ADD COLUMN actor TEXT"}},
         // Every snapshot kept, not only the latest (which `snapshots` still
         // holds for command loads): as-of reads start from the one at or
         // before the version asked for. Existing snapshots are carried over.
         {"snapshot_history",
          {"CREATE TABLE IF NOT EXISTS snapshot_history ("
           " aggregate_id TEXT NOT NULL,"
           " version BIGINT NOT NULL,"
           " state TEXT NOT NULL,"
           " taken_at TEXT NOT NULL,"
           " PRIMARY KEY (aggregate_id, version))",
           "INSERT INTO snapshot_history (aggregate_id, version, state, taken_at)"
           " SELECT aggregate_id, version, state, taken_at FROM snapshots"}}},
    };
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
    sql::enter_wal_mode(session);
    session << "PRAGMA synchronous = " + tuning.synchronous;
    if (tuning.background_checkpoints) session << "PRAGMA wal_autocheckpoint = " << k_backstop_checkpoint_frames;
}

const sql::Schema& event_store_schema() {
    static const sql::Schema k_schema = make_event_store_schema();
    return k_schema;
}

void migrate_store(soci::session& session, Backend) { sql::migrate(session, event_store_schema()); }

}  // namespace fanout::post_command
