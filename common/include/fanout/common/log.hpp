#pragma once
// The process logger of fanoutd, post-command and post-query: one spdlog
// logger on stderr, `2026-11-22T10:00:00.123Z info message` (UTC), or
// `<6>message` (syslog priority prefix, journald adds the time) when stderr
// goes to journald. Every line is flushed at once, so a crash or kill -9
// keeps it.
#include <string_view>

#include <spdlog/spdlog.h>

namespace fanout::common {

enum class LogFormat {
    automatic,  ///< journal when stderr goes to journald (JOURNAL_STREAM is set), else plain
    plain,      ///< `2026-11-22T10:00:00.123Z info message`
    journal,    ///< `<6>message`
};

/// Set up the process logger. Call once from main before any thread starts.
void init_logging(LogFormat format, spdlog::level::level_enum level);

/// The process logger (usable before init_logging, with the plain format at info).
spdlog::logger& log();

/// The command lines' --log-level values: debug, info, warning, error (anything else: info).
spdlog::level::level_enum log_level_named(std::string_view name) noexcept;
/// The command lines' --log-format values: auto, plain, journal (anything else: auto).
LogFormat log_format_named(std::string_view name) noexcept;

}  // namespace fanout::common
