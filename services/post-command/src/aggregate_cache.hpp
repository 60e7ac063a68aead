#pragma once
// Recently used posts, kept in memory so a command does not replay the
// store. Entries are only ever written after a successful append; another
// process writing the same post makes an entry stale, which the store's
// unique key detects (a conflict evicts the entry and the command retries).
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

    /// The cached post, or null. Only the command thread changes posts: the
    /// returned object is its to update in place (and to evict when the
    /// append of those changes does not commit).
    std::shared_ptr<PostAggregate> find(const std::string& id);
    void put(std::shared_ptr<PostAggregate> post);
    void erase(const std::string& id);

private:
    struct Entry {
        std::shared_ptr<PostAggregate> post;
        std::list<std::string>::iterator recency;
    };

    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> recency_;  // front = most recently used
};

}  // namespace fanout::post_command
