#pragma once
// The event store on SQL (SOCI): an append-only `events` table whose
// UNIQUE (aggregate_id, version) enforces optimistic concurrency, read by
// aggregate (commands) and by global sequence (the outbox relay).
//
// Threading: an EventWriter or EventReader owns one connection and is used
// by one thread at a time.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "snapshot_store.hpp"
#include "store_connection.hpp"

namespace fanout::post_command {

struct NewEvent {
    std::string event_id, type, data, occurred_at;
    /// Who acted (the authenticated user); empty for none, stored as NULL.
    std::string actor = {};
};

/// One command's events: all appended or none.
struct AppendRequest {
    std::string aggregate_id;
    std::int64_t expected_version = 0;  ///< the aggregate's version before these events
    std::vector<NewEvent> events;       ///< get versions expected_version+1, +2, ...
    std::optional<SnapshotRecord> snapshot;
};

enum class AppendStatus {
    committed,
    conflict,  ///< another writer appended this version first (unique key)
    failed,    ///< database error: outcome unknown to the caller
};

struct StoredEvent {
    std::int64_t global_sequence = 0;
    std::string event_id, aggregate_id;
    std::int64_t version = 0;
    std::string type, data, occurred_at;
    std::string actor = {};  ///< who acted; empty when none was recorded
};

/// What loading a post needs: its latest snapshot and the events after it.
struct AggregateHistory {
    std::optional<SnapshotRecord> snapshot;
    std::vector<StoredEvent> events;
};

class EventWriter {
public:
    EventWriter(StoreLocation location, SqliteTuning tuning);
    ~EventWriter();

    /// Append a group of commands' events in one transaction; a request
    /// whose first version is already taken is a conflict and writes nothing,
    /// the others commit. Appends are serialised (SQLite: BEGIN IMMEDIATE;
    /// PostgreSQL: a transaction advisory lock), so global sequences become
    /// visible in order: the relay relies on it. Should the unique key fire
    /// anyway (a writer outside the lock), the group is retried one request
    /// per transaction.
    /// Never throws: a database error marks the affected requests failed.
    std::vector<AppendStatus> append(std::span<const AppendRequest* const> batch);

private:
    struct UniqueViolation {};
    /// Statuses per request (committed or conflict); throws UniqueViolation
    /// after rolling back when the unique key fired.
    std::vector<AppendStatus> append_in_one_transaction(std::span<const AppendRequest* const> batch);
    /// The rows of `batch` inside the open transaction; a request whose first
    /// version is taken becomes a conflict, one taken half-way throws.
    void insert_rows_postgresql(std::span<const AppendRequest* const> batch, std::vector<AppendStatus>& out);
    void insert_rows_sqlite(std::span<const AppendRequest* const> batch, std::vector<AppendStatus>& out);
    void ensure_ready();

    StoreLocation location_;
    SqliteTuning tuning_;
    soci::session session_;
    bool broken_ = true;
    // Bound by reference to the prepared insert.
    std::string event_id_, aggregate_id_, type_, data_, occurred_at_, actor_;
    soci::indicator actor_indicator_ = soci::i_null;
    long long version_ = 0, previous_version_ = 0;
    std::optional<soci::statement> insert_;
    // SQLite: transaction control prepared once (a one-off statement is
    // prepared and finalised on every use).
    std::optional<soci::statement> begin_, commit_;
};

class EventReader {
public:
    EventReader(StoreLocation location, SqliteTuning tuning);

    Backend backend() const { return location_.backend; }

    /// Latest snapshot and the events after it, in version order.
    AggregateHistory load(const std::string& aggregate_id);
    /// The newest snapshot at or before `version` and the events after it up
    /// to `version`, in version order: the post as of `version`.
    AggregateHistory load_as_of(const std::string& aggregate_id, std::int64_t version);
    /// Up to `limit` events of `aggregate_id` from `from_version` on, in version order.
    std::vector<StoredEvent> read_stream(const std::string& aggregate_id, std::int64_t from_version,
                                         std::size_t limit);
    /// The version of `aggregate_id`'s last event that occurred at or before
    /// `at` (RFC 3339 UTC with milliseconds, as events store it); 0 when none.
    std::int64_t version_at(const std::string& aggregate_id, const std::string& at);
    /// The version of `aggregate_id`'s last event (0 when it has none).
    std::int64_t last_version(const std::string& aggregate_id);

    /// Up to `limit` events with global_sequence > `after`, in order.
    std::vector<StoredEvent> read_after(std::int64_t after, std::size_t limit);
    /// Highest committed global sequence (0 when empty).
    std::int64_t last_sequence();

    /// The relay's durable position for `destination` (0 when none).
    std::int64_t published_position(const std::string& destination);
    void save_position(const std::string& destination, std::int64_t sequence);

    /// PostgreSQL: try to become the store's one publishing relay (a session
    /// advisory lock held while the connection lives). SQLite: always true.
    bool try_lead_relay();

    /// Call after a database error: the next use reconnects.
    void mark_broken() { broken_ = true; }

private:
    soci::session& session();

    StoreLocation location_;
    SqliteTuning tuning_;
    soci::session session_;
    bool broken_ = true;
};

/// True for a unique-key violation (SQLite constraint, PostgreSQL 23505).
bool is_unique_violation(const soci::soci_error& error);

}  // namespace fanout::post_command
