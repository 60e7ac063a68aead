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

namespace {

// The newest version that had occurred by a time. Appends keep occurred_at
// nondecreasing within a post (event_store.cpp), so the versions at or before
// it are a prefix: a binary search over the (aggregate_id, version) key finds
// its end in ~log2(events) point reads, one statement, wherever the time lands
// (no index on occurred_at, which every append would pay for). Invariant: lo
// is 0 or occurred at or before the time, every version above hi after it.
// occurred_at has one text format, so text order is time order.
constexpr const char* k_version_at =
    "WITH RECURSIVE search(lo, hi) AS ("
    " SELECT CAST(0 AS BIGINT), (SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_id = :a1)"
    " UNION ALL"
    " SELECT CASE WHEN (SELECT occurred_at FROM events WHERE aggregate_id = :a2 AND version = (lo + hi + 1) / 2)"
    " <= :t1 THEN (lo + hi + 1) / 2 ELSE lo END,"
    " CASE WHEN (SELECT occurred_at FROM events WHERE aggregate_id = :a3 AND version = (lo + hi + 1) / 2)"
    " <= :t2 THEN hi ELSE (lo + hi + 1) / 2 - 1 END"
    " FROM search WHERE lo < hi)"
    " SELECT lo FROM search WHERE lo = hi";

}  // namespace

std::int64_t EventReader::version_at(const std::string& aggregate_id, const std::string& at) {
    long long version = 0;
    try {
        session() << k_version_at, soci::into(version), soci::use(aggregate_id), soci::use(aggregate_id),
            soci::use(at), soci::use(aggregate_id), soci::use(at);
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
