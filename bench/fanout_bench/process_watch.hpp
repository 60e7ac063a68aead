#pragma once
// What fanout_bench measures of its children (started with fanout_harness)
// and of the host: exit status and rusage, /proc figures, CPU of the host
// and the broker.
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fanout::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

/// fanout_harness's spawn of `argv` (looked up in PATH) with stdout and
/// stderr on the given fds (-1: this process').
pid_t spawn_with_fds(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd);

struct ExitInfo {
    int status = -1;
    rusage usage{};
    bool exited = false;
};

/// Reaps `pid` when it exits within `timeout` (0: just look).
ExitInfo wait_child(pid_t pid, std::chrono::milliseconds timeout);

/// "exit 1", "killed by Terminated".
std::string describe_status(int status);

/// A value from /proc/PID/status in kB (e.g. "VmHWM"), or -1.
long proc_status_kb(pid_t pid, const std::string& field);

/// Samples the host and (optionally) the broker's CPU over an interval.
class CpuWatch {
public:
    explicit CpuWatch(pid_t broker_pid);
    /// Host busy fraction (0..1 of all cores) since construction.
    double host_busy() const;
    /// Broker CPU seconds since construction, or -1 when unknown.
    double broker_cpu() const;

private:
    pid_t broker_pid_;
    std::pair<double, double> host_;
    double broker_;
};

/// The last `max_bytes` of `file`.
std::string read_tail(const std::filesystem::path& file, std::size_t max_bytes);

/// Lines of `file` that contain one of `needles`.
int count_lines_with(const std::filesystem::path& file, std::initializer_list<std::string_view> needles);

/// The first line a shell command prints, or "?".
std::string first_line_of_command(const std::string& cmd);

}  // namespace fanout::bench
