#pragma once
// Logging: one stderr logger, `2026-11-22T10:00:00.123Z info message`, UTC.
#include <spdlog/spdlog.h>

namespace fanout::post_command {

/// Set up the process-wide logger. Call once from main before any thread.
void init_logging(spdlog::level::level_enum level);

/// The service's logger (usable before init_logging, with defaults).
spdlog::logger& log();

}  // namespace fanout::post_command
