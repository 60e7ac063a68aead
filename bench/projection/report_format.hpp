#pragma once
// Number and column formatting for the benchmark drivers' tables.
#include <cstdio>
#include <string>

namespace fanout::bench {

/// `v` with `decimals` digits after the point.
inline std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// `s` right-aligned in `width` columns.
inline std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace fanout::bench
