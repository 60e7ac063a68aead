#include "appender.hpp"

#include <algorithm>
#include <vector>

namespace fanout::post_command {

Appender::Appender(EventWriter& writer, std::size_t max_batch, std::function<void()> on_committed)
    : writer_(writer), max_batch_(std::max<std::size_t>(1, max_batch)), on_committed_(std::move(on_committed)) {}

Appender::~Appender() { stop(); }

AppendStatus Appender::append(const AppendRequest& request) {
    Pending pending{&request};
    std::unique_lock lock(mutex_);
    if (stopping_) return AppendStatus::failed;
    queue_.push_back(&pending);
    std::vector<Pending*> batch;
    std::vector<const AppendRequest*> requests;
    while (!pending.done) {
        if (leading_) {
            changed_.wait(lock);
            continue;
        }
        // Lead one commit: everything queued (up to max_batch), ours included
        // unless the queue is longer than that.
        leading_ = true;
        const std::size_t n = std::min(queue_.size(), max_batch_);
        batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        lock.unlock();

        requests.clear();
        for (const Pending* p : batch) requests.push_back(p->request);
        const std::vector<AppendStatus> statuses = writer_.append(requests);
        const bool any_committed =
            std::find(statuses.begin(), statuses.end(), AppendStatus::committed) != statuses.end();
        if (any_committed && on_committed_) on_committed_();

        lock.lock();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            batch[i]->status = statuses[i];
            batch[i]->done = true;
        }
        leading_ = false;
        changed_.notify_all();  // the outcomes, and the next leader
    }
    return pending.status;
}

void Appender::stop() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    changed_.wait(lock, [this] { return queue_.empty() && !leading_; });
}

}  // namespace fanout::post_command
