#include "log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace fanout::post_command {
namespace {

std::shared_ptr<spdlog::logger> make_logger() {
    auto logger = std::make_shared<spdlog::logger>("post-command", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_formatter(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc));
    logger->flush_on(spdlog::level::trace);  // a crash or kill -9 keeps every line
    return logger;
}

std::shared_ptr<spdlog::logger>& instance() {
    static std::shared_ptr<spdlog::logger> logger = make_logger();
    return logger;
}

}  // namespace

void init_logging(spdlog::level::level_enum level) { instance()->set_level(level); }

spdlog::logger& log() { return *instance(); }

}  // namespace fanout::post_command
