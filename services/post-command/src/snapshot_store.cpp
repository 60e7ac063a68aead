#include "snapshot_store.hpp"

#include "utc_clock.hpp"

namespace fanout::post_command {

void save_snapshot(soci::session& session, const std::string& aggregate_id, const SnapshotRecord& snapshot) {
    const long long version = snapshot.version;
    const std::string taken_at = now_rfc3339_ms();
    session << "INSERT INTO snapshots (aggregate_id, version, state, taken_at) VALUES (:a, :v, :s, :t)"
               " ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, state = excluded.state,"
               " taken_at = excluded.taken_at WHERE excluded.version > snapshots.version",
        soci::use(aggregate_id), soci::use(version), soci::use(snapshot.state), soci::use(taken_at);
    // A version is appended once, so its snapshot is too; a second one would hold the same state.
    session << "INSERT INTO snapshot_history (aggregate_id, version, state, taken_at) VALUES (:a, :v, :s, :t)"
               " ON CONFLICT (aggregate_id, version) DO NOTHING",
        soci::use(aggregate_id), soci::use(version), soci::use(snapshot.state), soci::use(taken_at);
}

std::optional<SnapshotRecord> load_snapshot(soci::session& session, const std::string& aggregate_id) {
    long long version = 0;
    std::string state;
    soci::indicator ind = soci::i_null;
    session << "SELECT version, state FROM snapshots WHERE aggregate_id = :a", soci::into(version, ind),
        soci::into(state), soci::use(aggregate_id);
    if (!session.got_data() || ind != soci::i_ok) return std::nullopt;
    return SnapshotRecord{version, std::move(state)};
}

std::optional<SnapshotRecord> load_snapshot_at(soci::session& session, const std::string& aggregate_id,
                                               std::int64_t version) {
    const long long at_most = version;
    long long found = 0;
    std::string state;
    soci::indicator ind = soci::i_null;
    // The primary key (aggregate_id, version) answers this with one index probe.
    session << "SELECT version, state FROM snapshot_history WHERE aggregate_id = :a AND version <= :v"
               " ORDER BY version DESC LIMIT 1",
        soci::into(found, ind), soci::into(state), soci::use(aggregate_id), soci::use(at_most);
    if (!session.got_data() || ind != soci::i_ok) return std::nullopt;
    return SnapshotRecord{found, std::move(state)};
}

}  // namespace fanout::post_command
