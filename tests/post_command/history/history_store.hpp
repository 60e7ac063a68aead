#pragma once
// A fresh event store (SQLite or PostgreSQL) and posts written into it
// through EventWriter the way CommandService writes them: one request per
// command, a snapshot whenever an append crosses a multiple of the interval.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "event_store.hpp"
#include "fixture.hpp"
#include "post_aggregate.hpp"
#include "post_history.hpp"
#include "store_connection.hpp"
#include "utc_clock.hpp"

namespace fanout::test {

/// The occurred_at of event `n` (1-based) of a written post: one second apart from 10:00.
inline std::string event_time(std::int64_t n) {
    using namespace std::chrono;
    return post_command::format_rfc3339_ms(sys_days{year{2026} / 12 / 5} + hours(10) + seconds(n - 1));
}

class HistoryStore {
public:
    explicit HistoryStore(StoreKind kind)
        : store(kind), location(post_command::parse_store_location(store.connection())) {
        soci::session s;
        post_command::open_store_session(s, location);
        post_command::migrate_store(s, location.backend);
    }

    /// Append `commands` (each one command's events) to `post_id`, `per_append`
    /// commands per transaction, snapshots every `interval` versions (0: none).
    /// Event n is stamped `time_of(n)` (event_time(n) unless given).
    void write(const std::string& post_id, const std::vector<std::vector<post_command::DomainEvent>>& commands,
               std::int64_t interval, std::size_t per_append = 1,
               const std::function<std::string(std::int64_t)>& time_of = event_time) {
        using namespace post_command;
        EventWriter writer(location, {});
        PostAggregate post(post_id);
        for (std::size_t start = 0; start < commands.size(); start += per_append) {
            std::vector<AppendRequest> requests;
            for (std::size_t c = start; c < std::min(commands.size(), start + per_append); ++c) {
                AppendRequest& r = requests.emplace_back();
                r.aggregate_id = post_id;
                r.expected_version = post.version();
                for (const DomainEvent& e : commands[c]) {
                    post.apply(e);
                    r.events.push_back(NewEvent{post_id + "-" + std::to_string(post.version()), type_name(e),
                                                encode_data(e), time_of(post.version())});
                }
                if (snapshot_due(r.expected_version, post.version(), interval)) {
                    r.snapshot = SnapshotRecord{post.version(), post.snapshot_json()};
                }
            }
            std::vector<const AppendRequest*> batch;
            for (const AppendRequest& r : requests) batch.push_back(&r);
            const auto statuses = writer.append(batch);
            for (const AppendStatus s : statuses) ASSERT_EQ(s, AppendStatus::committed);
        }
    }

    TestStore store;
    post_command::StoreLocation location;
};

/// The post after the first `n` of `events`, replayed from nothing.
inline post_command::PostAggregate replay_first(const std::string& post_id,
                                                const std::vector<post_command::DomainEvent>& events,
                                                std::size_t n) {
    post_command::PostAggregate post(post_id);
    for (std::size_t i = 0; i < n; ++i) post.apply(events[i]);
    return post;
}

}  // namespace fanout::test
