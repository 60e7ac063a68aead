#include "fanout/sql/wal_checkpointer.hpp"

#include "fanout/sql/errors.hpp"

namespace fanout::sql {

using namespace sqlite_api;

WalCheckpointer::WalCheckpointer(const std::string& path) {
    // Its own connection, used by this thread only: no connection mutex.
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw DatabaseError("sqlite: cannot open " + path + " for WAL checkpoints: " + message);
    }
    // A connection opens the WAL at its first read; until then a checkpoint
    // through it does nothing.
    if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) != SQLITE_OK) {
        const std::string message = sqlite3_errmsg(db_);
        sqlite3_close(db_);
        throw DatabaseError("sqlite: cannot read " + path + " for WAL checkpoints: " + message);
    }
    thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    // A checkpoint under way may copy the whole WAL: stop it (the next
    // checkpoint or the last connection's close finishes the copy) rather
    // than hold the pipeline thread that closes the store.
    sqlite3_interrupt(db_);
    thread_.join();
    sqlite3_close(db_);
}

void WalCheckpointer::request() {
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    wake_.notify_one();
}

std::string WalCheckpointer::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void WalCheckpointer::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return pending_ || stopping_; });
        if (stopping_) return;
        pending_ = false;
        lock.unlock();
        int frames = 0, copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        lock.lock();
        if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
            last_error_.clear();
            if (copied > 0) checkpoints_.fetch_add(1, std::memory_order_relaxed);
        } else {
            last_error_ = sqlite3_errmsg(db_);
        }
    }
}

}  // namespace fanout::sql
