#pragma once
// Snapshots: the state of a post every N events, so loading a long-lived
// post replays at most N-1 events. A cache of the event stream: losing one
// costs a longer replay, never correctness.
//
// Two tables: `snapshots` keeps the latest per post (what a command load
// reads), `snapshot_history` keeps every one, keyed (aggregate_id, version),
// for as-of reads of any version.
#include <cstdint>
#include <optional>
#include <string>

#include <soci/soci.h>

namespace fanout::post_command {

struct SnapshotRecord {
    std::int64_t version = 0;  ///< events applied to `state`
    std::string state;         ///< PostAggregate::snapshot_json()
};

/// True when an append taking a post from `old_version` to `new_version`
/// crosses a multiple of `interval` (0 disables snapshots).
inline bool snapshot_due(std::int64_t old_version, std::int64_t new_version, std::int64_t interval) {
    return interval > 0 && old_version / interval != new_version / interval;
}

/// Keep the snapshot of `aggregate_id` in the history and make it the latest
/// unless a newer one is there. Runs in the caller's transaction (the append's).
void save_snapshot(soci::session& session, const std::string& aggregate_id, const SnapshotRecord& snapshot);

/// The latest snapshot of `aggregate_id`, if any.
std::optional<SnapshotRecord> load_snapshot(soci::session& session, const std::string& aggregate_id);

/// The newest snapshot of `aggregate_id` taken at or before `version`, if any.
std::optional<SnapshotRecord> load_snapshot_at(soci::session& session, const std::string& aggregate_id,
                                               std::int64_t version);

}  // namespace fanout::post_command
