#pragma once
// A few EventReaders shared by the HTTP threads (aggregate loads on a cache
// miss, the status route). Each use leases one reader for its duration.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "event_store.hpp"

namespace fanout::post_command {

class ReaderPool {
public:
    ReaderPool(const StoreLocation& location, const SqliteTuning& tuning, std::size_t size) {
        for (std::size_t i = 0; i < std::max<std::size_t>(1, size); ++i) {
            free_.push_back(std::make_unique<EventReader>(location, tuning));
        }
    }

    /// Run `f(EventReader&)` on a leased reader; rethrows what `f` throws.
    template <class F>
    auto with(F&& f) {
        std::unique_ptr<EventReader> reader;
        {
            std::unique_lock lock(mutex_);
            available_.wait(lock, [this] { return !free_.empty(); });
            reader = std::move(free_.back());
            free_.pop_back();
        }
        struct Return {
            ReaderPool& pool;
            std::unique_ptr<EventReader>& reader;
            ~Return() {
                {
                    std::lock_guard lock(pool.mutex_);
                    pool.free_.push_back(std::move(reader));
                }
                pool.available_.notify_one();
            }
        } give_back{*this, reader};
        return f(*reader);
    }

private:
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<EventReader>> free_;
};

}  // namespace fanout::post_command
