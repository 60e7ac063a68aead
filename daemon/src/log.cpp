#include "log.hpp"

namespace fanout::daemon {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return spdlog::level::debug;
        case LogLevel::info: return spdlog::level::info;
        case LogLevel::warning: return spdlog::level::warn;
        case LogLevel::error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

}  // namespace

void PluginLogger::log(LogLevel level, std::string_view message) {
    daemon::log().log(to_spdlog(level), "{}{}", prefix_, message);
}

bool PluginLogger::enabled(LogLevel level) const { return daemon::log().should_log(to_spdlog(level)); }

}  // namespace fanout::daemon
