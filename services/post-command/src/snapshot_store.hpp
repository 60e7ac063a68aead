#pragma once
// Snapshots: the latest state of a post every N events, so loading a
// long-lived post replays at most N-1 events. A cache of the event stream:
// losing one costs a longer replay, never correctness.
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

/// Upsert the snapshot of `aggregate_id`, keeping the newest version. Runs
/// in the caller's transaction (the append's).
void save_snapshot(soci::session& session, const std::string& aggregate_id, const SnapshotRecord& snapshot);

/// The latest snapshot of `aggregate_id`, if any.
std::optional<SnapshotRecord> load_snapshot(soci::session& session, const std::string& aggregate_id);

}  // namespace fanout::post_command
