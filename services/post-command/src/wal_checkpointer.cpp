#include "wal_checkpointer.hpp"

#include <soci/soci.h>

#include "log.hpp"

namespace fanout::post_command {

WalCheckpointer::WalCheckpointer(StoreLocation location, SqliteTuning tuning, std::chrono::milliseconds interval)
    : location_(std::move(location)), tuning_(std::move(tuning)), interval_(interval) {}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::start() {
    if (location_.backend != Backend::sqlite || thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void WalCheckpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::run() {
    soci::session session;
    bool open = false;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        try {
            if (!open) {
                open_store_session(session, location_, tuning_);
                open = true;
            }
            // PRAGMA wal_checkpoint answers (busy, frames in the WAL, frames copied).
            int busy = 0, log_frames = 0, copied = 0;
            session << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy), soci::into(log_frames), soci::into(copied);
            if (copied > 0) ++checkpoints_;
        } catch (const std::exception& e) {
            log().warn("event store: WAL checkpoint failed (retrying): {}", e.what());
            if (open) session.close();
            open = false;
        }
        lock.lock();
    }
}

}  // namespace fanout::post_command
