#pragma once
// Where the event store lives and how to open it: SQLite (the embedded
// default) or PostgreSQL, through SOCI. Its own database, never the read model's.
#include <string>

#include <soci/soci.h>

#include "fanout/sql/migrations.hpp"

namespace fanout::post_command {

enum class Backend { sqlite, postgresql };

struct StoreLocation {
    Backend backend = Backend::sqlite;
    std::string target;  ///< SQLite file path, or the PostgreSQL connection string (either form)
    /// For logs: the path, or the connection string with its password masked.
    std::string display() const;
};

/// Parse a connection string with fanout_common's parser (connection_string.hpp):
///   sqlite:/path/events.db  sqlite3:/path/events.db  or a bare path
///   postgresql://user:pass@host:port/db?...  postgres://...  or libpq "dbname=... host=..."
/// Throws std::invalid_argument (common::ConnectionStringError) saying what is
/// wrong, with the password masked.
StoreLocation parse_store_location(const std::string& connection);

/// With background checkpoints, a commit checkpoints only past this many WAL frames.
inline constexpr int k_backstop_checkpoint_frames = 10'000;

struct SqliteTuning {
    std::string synchronous = "normal";  ///< normal | full | extra
    int busy_timeout_ms = 10'000;
    /// A WalCheckpointer does the checkpoints: a commit's automatic one only
    /// past 10,000 WAL frames, as a backstop (wal_checkpointer.hpp).
    bool background_checkpoints = false;
};

/// Open `session` on `location`. SQLite: WAL, `synchronous` as given, busy timeout.
/// Throws soci::soci_error on failure.
void open_store_session(soci::session& session, const StoreLocation& location, const SqliteTuning& tuning = {});

/// The event store's schema: its migrations in order (append, never edit).
const sql::Schema& event_store_schema();

/// Create or migrate the event store schema (events, snapshots,
/// outbox_position) in one transaction (fanout/sql/migrations.hpp: component
/// "event_store"). Idempotent; safe when several processes start at once.
void migrate_store(soci::session& session, Backend backend);

/// Advisory lock keys (PostgreSQL) of this service.
namespace advisory_lock {
inline constexpr long long append = 0x46414e4f5554'02;   // serialises appends: commit order = sequence order
inline constexpr long long relay = 0x46414e4f5554'03;    // one relay publishes per store
}  // namespace advisory_lock

}  // namespace fanout::post_command
