#pragma once
// Number and column formatting for the benchmark drivers' tables.
#include <cstdint>
#include <cstdio>
#include <string>

namespace fanout::bench {

/// `v` with `decimals` digits after the point.
inline std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// `s` right-aligned in `width` columns (left-aligned when not `right`).
inline std::string pad(const std::string& s, std::size_t width, bool right = true) {
    if (s.size() >= width) return s;
    const std::string fill(width - s.size(), ' ');
    return right ? fill + s : s + fill;
}

/// 1234567 -> "1,234,567".
inline std::string with_commas(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace fanout::bench
