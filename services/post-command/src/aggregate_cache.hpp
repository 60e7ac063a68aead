#pragma once
// Recently used posts, kept in memory so a command does not replay the
// store. Entries are only ever written after a successful append; another
// process writing the same post makes an entry stale, which the store's
// unique key detects (a conflict evicts the entry and the command retries).
#include <array>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "post_aggregate.hpp"

namespace fanout::post_command {

class AggregateCache {
public:
    /// `capacity` posts (0 disables caching: every command replays).
    explicit AggregateCache(std::size_t capacity) : capacity_(capacity) {}

    /// The cached post, or null. Callers hold lock_for(id): the returned
    /// object is theirs to read and, after an append, to update in place.
    std::shared_ptr<PostAggregate> find(const std::string& id);
    void put(std::shared_ptr<PostAggregate> post);
    void erase(const std::string& id);

    /// The mutex serialising commands on `id` (striped: unrelated posts may
    /// share one, which only costs a little parallelism).
    std::mutex& lock_for(const std::string& id) { return stripes_[std::hash<std::string>{}(id) % stripes_.size()]; }

private:
    struct Entry {
        std::shared_ptr<PostAggregate> post;
        std::list<std::string>::iterator recency;
    };

    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> recency_;  // front = most recently used
    std::array<std::mutex, 1024> stripes_;
};

}  // namespace fanout::post_command
