#pragma once
// SQLite only: checkpoints the event store's WAL from a connection and a
// thread of its own, so the command thread's commits never pay for copying
// pages back into the database file and its fsync (an automatic checkpoint
// runs inside the commit that crosses the threshold: a latency spike for
// every command of that group).
//
// With SqliteTuning::background_checkpoints the commits' own automatic
// checkpoint moves from 1,000 to 10,000 WAL frames and stays as a backstop:
// under a steady stream of commits a concurrent checkpoint never finds the WAL
// wholly copied at the moment a writer begins, which is when SQLite starts it
// over, so the WAL would grow without bound. The backstop, run by the writer
// after a commit, finds all but the newest frames already copied (a short
// copy and one fsync every 10,000 frames) and lets the WAL start over.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store_connection.hpp"

namespace fanout::post_command {

class WalCheckpointer {
public:
    /// Checkpoints every `interval`, PASSIVE: it never blocks the writer or
    /// the readers, and copies what no reader still needs.
    WalCheckpointer(StoreLocation location, SqliteTuning tuning, std::chrono::milliseconds interval);
    ~WalCheckpointer();

    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    void start();
    void stop();

    /// Checkpoints that copied frames so far.
    std::uint64_t checkpoints() const { return checkpoints_; }

private:
    void run();

    StoreLocation location_;
    SqliteTuning tuning_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
    std::atomic<std::uint64_t> checkpoints_{0};
};

}  // namespace fanout::post_command
