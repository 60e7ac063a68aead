#pragma once
// SQLite: copies the WAL back into the database file from a connection and
// a thread of their own, so the batch's commit rarely pays for it.
//
// A commit adds a frame for every page the batch dirtied (thousands); an
// automatic checkpoint inside the commit that crosses wal_autocheckpoint
// then copies them all and syncs the file, on the pipeline thread. Here each
// commit wakes a PASSIVE checkpoint (it never blocks the writer or readers)
// that copies what no reader still needs. The WAL only starts over when a
// writer begins while every frame is copied, which a steady stream of
// commits rarely allows, so the commits' own automatic checkpoint stays as a
// backstop (Store::open): by then all but the newest frames are copied and
// synced, and it is short.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

// SOCI declares the SQLite API inside namespace sqlite_api.
#include <soci/sqlite3/soci-sqlite3.h>

namespace fanout::plugins::sql_read_model {

class WalCheckpointer {
public:
    /// Opens `path` (an existing database in WAL mode). Throws StoreError.
    explicit WalCheckpointer(const std::string& path);
    ~WalCheckpointer();

    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    /// A commit added frames: checkpoint soon. Cheap, never blocks for long.
    void committed();

    /// Checkpoints that copied frames so far.
    std::uint64_t checkpoints() const noexcept { return checkpoints_.load(std::memory_order_relaxed); }
    /// The last checkpoint error, empty when none (errors are retried on the next commit).
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

}  // namespace fanout::plugins::sql_read_model
