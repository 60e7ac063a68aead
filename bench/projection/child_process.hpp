#pragma once
// Child processes and /proc figures for the benchmark.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fanout::bench {

/// Start `argv` (absolute path first) with stdout and stderr to `log`.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
/// True once the child exited (reaped), waiting up to `wait`.
bool exited(pid_t pid, std::chrono::milliseconds wait);
/// user+system CPU seconds of a live process, plus its reaped children's
/// when `children` (a PostgreSQL postmaster: its exited backends), or -1.
double proc_cpu_seconds(pid_t pid, bool children = false);
/// The parent of a process (a PostgreSQL backend's postmaster), or -1.
pid_t parent_of(pid_t pid);

}  // namespace fanout::bench
