#include "parse_ahead.hpp"

namespace fanout::daemon {

ParseAhead::ParseAhead(std::function<bool(const EventRecord&)> wanted)
    : wanted_(std::move(wanted)), thread_([this] { run(); }) {}

ParseAhead::~ParseAhead() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void ParseAhead::start(std::span<const EventRecord> records) {
    {
        std::lock_guard lock(mutex_);
        records_ = records;
        busy_ = !records.empty();
    }
    changed_.notify_all();
}

void ParseAhead::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !busy_; });
}

void ParseAhead::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [&] { return busy_ || stop_; });
        if (stop_) return;
        const std::span<const EventRecord> records = records_;
        lock.unlock();
        for (const EventRecord& record : records) {
            if (!wanted_ || wanted_(record)) record.parse_envelope();
        }
        lock.lock();
        busy_ = false;
        records_ = {};
        changed_.notify_all();
    }
}

}  // namespace fanout::daemon
