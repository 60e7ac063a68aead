#pragma once
// UTC timestamps as the event contract writes them: RFC 3339 with milliseconds.
#include <chrono>
#include <string>

namespace fanout::post_command {

/// `2026-11-22T10:00:00.123Z` for `when`.
std::string format_rfc3339_ms(std::chrono::system_clock::time_point when);

/// The current time, formatted as above.
inline std::string now_rfc3339_ms() { return format_rfc3339_ms(std::chrono::system_clock::now()); }

}  // namespace fanout::post_command
