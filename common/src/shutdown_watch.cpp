#include "fanout/common/shutdown_watch.hpp"

#include "fanout/common/log.hpp"

namespace fanout::common {

namespace {
long long ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

ShutdownWatch::ShutdownWatch(std::chrono::milliseconds every) : every_(every), thread_([this] { run(); }) {}

ShutdownWatch::~ShutdownWatch() {
    {
        std::lock_guard lock(mutex_);
        finished_ = true;
        if (!step_.empty()) log().debug("stop: {} took {} ms", step_, ms_since(step_started_));
    }
    done_.notify_all();
    thread_.join();
    log().debug("stop: {} ms in all", ms_since(started_));
}

void ShutdownWatch::step(std::string what) {
    std::lock_guard lock(mutex_);
    if (!step_.empty()) log().debug("stop: {} took {} ms", step_, ms_since(step_started_));
    step_ = std::move(what);
    step_started_ = Clock::now();
}

void ShutdownWatch::run() {
    std::unique_lock lock(mutex_);
    while (!done_.wait_for(lock, every_, [this] { return finished_; })) {
        log().warn("still stopping after {} s: {} (for {} s)", ms_since(started_) / 1000,
                   step_.empty() ? "starting to stop" : step_, ms_since(step_started_) / 1000);
    }
}

}  // namespace fanout::common
