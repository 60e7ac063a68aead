#include "aggregate_cache.hpp"

namespace fanout::post_command {

std::shared_ptr<PostAggregate> AggregateCache::find(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return nullptr;
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return it->second.post;
}

void AggregateCache::put(std::shared_ptr<PostAggregate> post) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(post->id());
    if (it != entries_.end()) {
        it->second.post = std::move(post);
        recency_.splice(recency_.begin(), recency_, it->second.recency);
        return;
    }
    std::string id = post->id();
    recency_.push_front(id);
    entries_.emplace(std::move(id), Entry{std::move(post), recency_.begin()});
    if (entries_.size() > capacity_) {
        entries_.erase(recency_.back());
        recency_.pop_back();
    }
}

void AggregateCache::erase(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return;
    recency_.erase(it->second.recency);
    entries_.erase(it);
}

}  // namespace fanout::post_command
