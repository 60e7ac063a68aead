#pragma once
// A process the post-command benchmarks start and measure: post-command,
// post-query, fanoutd, or this program again as a busy loop.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fanout/harness/child_process.hpp"

namespace fanout::bench {

/// A service with its output in `log` (fanout_harness's ChildProcess),
/// stopped with SIGTERM, its clean shutdown, when destroyed.
class ServiceProcess {
public:
    ServiceProcess(std::string name, const std::vector<std::string>& argv, const std::filesystem::path& log);
    ~ServiceProcess();

    /// Group 1 (or the whole match) of the first match of `pattern` in the
    /// log; throws with the log when the service exits or `timeout` passes first.
    std::string wait_for(const std::string& pattern, std::chrono::seconds timeout);
    /// The port of the `listening on HOST:PORT` line the services print when ready.
    int listening_port(std::chrono::seconds timeout);
    /// CPU seconds (user + system) the service has used so far.
    double cpu_seconds() const;

private:
    std::string name_;
    harness::ChildProcess child_;
};

/// The argument that makes a benchmark's main run busy_loop().
inline constexpr const char* k_busy_loop_argument = "--internal-busy-loop";

/// Spins forever: one CPU-bound process (like `yes > /dev/null`, no I/O).
[[noreturn]] void busy_loop();

/// `processes` copies of this program running busy_loop() beside the
/// benchmark; SIGKILLed and reaped when the vector is destroyed.
std::vector<harness::ChildProcess> busy_load(int processes);

}  // namespace fanout::bench
