#pragma once
// post-query's one logger on stderr: plain lines with a UTC timestamp, or
// `<N>message` (syslog priority prefix) when journald reads stderr.
#include <spdlog/spdlog.h>

namespace fanout::post_query {

enum class LogFormat {
    automatic,  ///< journal when stderr goes to journald (JOURNAL_STREAM is set), else plain
    plain,      ///< `2026-11-22T10:00:00.123Z info message`
    journal,    ///< `<6>message`; journald adds the time
};

/// Call once from main before any thread starts.
void init_logging(LogFormat format, spdlog::level::level_enum level);

/// The process logger (usable before init_logging, with defaults).
spdlog::logger& log();

}  // namespace fanout::post_query
