// EventReader's reads of one post's history: its events page by page, its
// state as of a version, the version it had at a time (event_store.hpp).
#include "event_columns.hpp"
#include "event_store.hpp"

namespace fanout::post_command {

AggregateHistory EventReader::load_as_of(const std::string& aggregate_id, std::int64_t version) {
    AggregateHistory history;
    try {
        soci::session& s = session();
        history.snapshot = load_snapshot_at(s, aggregate_id, version);
        const long long after = history.snapshot ? history.snapshot->version : 0;
        const long long up_to = version;
        EventColumns(256).read(s,
                               " FROM events WHERE aggregate_id = :a AND version > :after AND version <= :up_to"
                               " ORDER BY version",
                               history.events, soci::use(aggregate_id), soci::use(after), soci::use(up_to));
    } catch (...) {
        mark_broken();
        throw;
    }
    return history;
}

std::vector<StoredEvent> EventReader::read_stream(const std::string& aggregate_id, std::int64_t from_version,
                                                  std::size_t limit) {
    std::vector<StoredEvent> out;
    try {
        const long long from = from_version;
        const long long n = static_cast<long long>(limit);
        EventColumns(std::min<std::size_t>(limit, 1000))
            .read(session(), " FROM events WHERE aggregate_id = :a AND version >= :v ORDER BY version LIMIT :n", out,
                  soci::use(aggregate_id), soci::use(from), soci::use(n));
    } catch (...) {
        mark_broken();
        throw;
    }
    return out;
}

std::int64_t EventReader::version_at(const std::string& aggregate_id, const std::string& at) {
    long long version = 0;
    try {
        // One text format for every occurred_at, so text order is time order,
        // and appends keep it nondecreasing within a post (event_store.cpp):
        // the last event at or before the time, by time then version, is the
        // newest version that had occurred by then. One probe of
        // events_aggregate_time wherever the time lands in the post.
        session() << "SELECT version FROM events WHERE aggregate_id = :a AND occurred_at <= :t"
                     " ORDER BY occurred_at DESC, version DESC LIMIT 1",
            soci::into(version), soci::use(aggregate_id), soci::use(at);
    } catch (...) {
        mark_broken();
        throw;
    }
    return version;
}

std::int64_t EventReader::last_version(const std::string& aggregate_id) {
    long long version = 0;
    try {
        session() << "SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_id = :a", soci::into(version),
            soci::use(aggregate_id);
    } catch (...) {
        mark_broken();
        throw;
    }
    return version;
}

}  // namespace fanout::post_command
