#pragma once
// SQLite: checkpoints the WAL from a connection and a thread of their own,
// so that the batch's commit rarely waits for one.
//
// A checkpoint syncs the WAL, copies each page's newest frame into the
// database file and syncs that: with a long WAL (k_sqlite_wal_bytes) much of
// it is waiting for the disk. SqliteConnection's WAL hook asks for one here
// once the WAL is half its limit; it runs PASSIVE (never blocking the writer or the
// readers) while the batches go on, again after each commit until the WAL
// starts over. The commit that reaches the limit still checkpoints in place:
// only a writer can start the WAL over (when it begins while every frame is
// copied, which a steady stream of commits rarely allows), and by then all
// but the newest frames are copied and synced, so that one is short.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

// SOCI declares the SQLite API inside namespace sqlite_api.
#include <soci/sqlite3/soci-sqlite3.h>

namespace fanout::sql {

class WalCheckpointer {
public:
    /// Opens `path` (an existing database in WAL mode). Throws DatabaseError.
    explicit WalCheckpointer(const std::string& path);
    ~WalCheckpointer();

    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    /// Checkpoint soon (at once if idle; after the running one otherwise).
    /// Cheap: never waits for a checkpoint.
    void request();

    /// Checkpoints that copied frames so far.
    std::uint64_t checkpoints() const noexcept { return checkpoints_.load(std::memory_order_relaxed); }
    /// The last checkpoint's error, empty when it succeeded (a failed one is
    /// tried again at the next request).
    std::string last_error() const;

private:
    void run();

    sqlite_api::sqlite3* db_ = nullptr;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool stopping_ = false;
    std::string last_error_;
    std::atomic<std::uint64_t> checkpoints_{0};
    std::thread thread_;
};

}  // namespace fanout::sql
