#pragma once
// Child processes and /proc figures for the benchmark (fanout_harness).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fanout/harness/child_process.hpp"
#include "fanout/harness/proc_stat.hpp"

namespace fanout::bench {

using harness::parent_of;
using harness::proc_cpu_seconds;

/// Start `argv` (absolute path first) with stdout and stderr to `log`, truncated.
inline pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    harness::SpawnOptions options;
    options.argv = argv;
    options.log = log;
    options.truncate_log = true;
    return harness::spawn(options);
}

/// True once the child exited (reaped), waiting up to `wait`.
inline bool exited(pid_t pid, std::chrono::milliseconds wait) {
    return harness::wait_exit_code(pid, wait).has_value();
}

}  // namespace fanout::bench
