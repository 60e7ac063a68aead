#pragma once
// The real post-command binary as a child process, on port 0.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fanout/harness/child_process.hpp"

namespace fanout::test {

class ServiceProcess : public harness::ChildProcess {
public:
    /// `args` after the binary name; output (stdout+stderr) appends to `log_file`.
    ServiceProcess(std::filesystem::path log_file, std::vector<std::string> args);

    /// Start and wait for `listening on 127.0.0.1:PORT`; returns the port,
    /// or -1 (the log says why) when it did not come up within `timeout`.
    int start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// SIGTERM and wait; the exit code.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) { return ChildProcess::stop(timeout); }

    int port() const { return port_; }
    /// Wait until the log of the current start contains `text` `times` times.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times = 1) const {
        return ChildProcess::wait_for_log(text, timeout, times, true);
    }

    /// Replace the arguments for the next start().
    void set_args(std::vector<std::string> args);

private:
    int port_ = -1;
};

}  // namespace fanout::test
