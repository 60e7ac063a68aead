#pragma once
// Names the step a stopping process is in, and says so in the log when the
// stop takes long: "still stopping after 10 s: waiting for the outbox relay".
// An operator whose service does not exit after SIGTERM learns what holds
// it without a debugger; every step also gets a debug line with its time.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace fanout::common {

class ShutdownWatch {
public:
    /// Starts watching; `every`: how often a stop that goes on is reported.
    explicit ShutdownWatch(std::chrono::milliseconds every = std::chrono::seconds(5));
    ~ShutdownWatch();
    ShutdownWatch(const ShutdownWatch&) = delete;
    ShutdownWatch& operator=(const ShutdownWatch&) = delete;

    /// The stop enters `what` (e.g. "waiting for the outbox relay").
    void step(std::string what);

private:
    void run();

    using Clock = std::chrono::steady_clock;
    const std::chrono::milliseconds every_;
    const Clock::time_point started_ = Clock::now();
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    std::string step_;
    Clock::time_point step_started_ = started_;
    std::thread thread_;
};

}  // namespace fanout::common
