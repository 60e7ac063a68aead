#pragma once
// Group commit: commands queue their events; whichever command thread finds
// no commit in progress leads one, appending everything queued in one
// transaction, while the others wait for their outcome. One commit (and, with
// synchronous=full or on PostgreSQL, one fsync) serves many commands, no
// extra thread hop is paid, and appends are serialised, which the outbox
// relay's ordering relies on.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "event_store.hpp"

namespace fanout::post_command {

class Appender {
public:
    /// `on_committed` runs after each commit that appended something (the
    /// relay's wake-up), on the leading command thread, outside the lock.
    Appender(EventWriter& writer, std::size_t max_batch, std::function<void()> on_committed);
    ~Appender();

    Appender(const Appender&) = delete;
    Appender& operator=(const Appender&) = delete;

    /// Append one command's events; blocks until the outcome is known.
    /// Thread-safe. After stop(), returns failed.
    AppendStatus append(const AppendRequest& request);

    /// Refuse new appends and wait for the queued ones. Idempotent.
    void stop();

private:
    struct Pending {
        const AppendRequest* request;
        AppendStatus status = AppendStatus::failed;
        bool done = false;
    };

    EventWriter& writer_;  // used by the leader only
    std::size_t max_batch_;
    std::function<void()> on_committed_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Pending*> queue_;
    bool leading_ = false;
    bool stopping_ = false;
};

}  // namespace fanout::post_command
