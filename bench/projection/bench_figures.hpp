#pragma once
// Figures the benchmark drivers compute: CPU seconds from rusage, percentiles.
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace fanout::bench {

/// user+system CPU seconds in `u`.
inline double rusage_cpu_seconds(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// user+system CPU seconds this process has used so far.
inline double process_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return rusage_cpu_seconds(u);
}

/// The `p` (0..1) percentile of `v`, nearest rank; 0 when empty.
inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace fanout::bench
