#pragma once
// /proc figures of a child process, for benchmarks.
#include <sys/types.h>

namespace fanout::harness {

/// user+system CPU seconds of a live process, plus its reaped children's
/// when `children` (a PostgreSQL postmaster: its exited backends), or -1.
double proc_cpu_seconds(pid_t pid, bool children = false);
/// The parent of a process (a PostgreSQL backend's postmaster), or -1.
pid_t parent_of(pid_t pid);

}  // namespace fanout::harness
