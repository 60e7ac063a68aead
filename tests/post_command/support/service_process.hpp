#pragma once
// The real post-command binary as a child process, on port 0.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fanout::test {

class ServiceProcess {
public:
    /// `args` after the binary name; output (stdout+stderr) appends to `log_file`.
    ServiceProcess(std::filesystem::path log_file, std::vector<std::string> args);
    ~ServiceProcess();  ///< SIGKILL if still running
    ServiceProcess(const ServiceProcess&) = delete;
    ServiceProcess& operator=(const ServiceProcess&) = delete;

    /// Start and wait for `listening on 127.0.0.1:PORT`; returns the port,
    /// or -1 (the log says why) when it did not come up within `timeout`.
    int start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    void signal(int sig);
    void kill9();
    /// Exit code (128+signal if killed) or -1 on timeout.
    int wait_exit(std::chrono::milliseconds timeout);
    bool running();
    /// SIGTERM and wait; the exit code.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

    int port() const { return port_; }
    /// Everything this process logged (all starts).
    std::string log() const;
    /// Wait until the log of the current start contains `text` `times` times.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times = 1) const;

    /// Replace the arguments for the next start().
    void set_args(std::vector<std::string> args) { args_ = std::move(args); }

private:
    std::string current_log() const;

    std::filesystem::path log_file_;
    std::vector<std::string> args_;
    std::size_t log_offset_ = 0;
    int pid_ = -1;
    int status_ = -1;
    int port_ = -1;
};

}  // namespace fanout::test
