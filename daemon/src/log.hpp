#pragma once
// Logging: one stderr logger for the daemon, plain or journald-friendly.
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "fanout/context.hpp"

namespace fanout::daemon {

enum class LogFormat {
    automatic,  ///< journal when stderr is connected to journald (JOURNAL_STREAM), else plain
    plain,      ///< `2026-11-22T10:00:00.123Z info message`
    journal,    ///< `<6>message`: syslog priority prefix, journald adds the time
};

/// Set up the process-wide logger. Call once from main before any thread.
void init_logging(LogFormat format, spdlog::level::level_enum level);

/// The daemon's logger (works before init_logging, with defaults).
spdlog::logger& log();

/// fanout::Logger for one plugin: every line starts with `[name] `.
class PluginLogger final : public Logger {
public:
    explicit PluginLogger(std::string name) : prefix_("[" + std::move(name) + "] ") {}
    void log(LogLevel level, std::string_view message) override;
    bool enabled(LogLevel level) const override;

private:
    std::string prefix_;
};

}  // namespace fanout::daemon
