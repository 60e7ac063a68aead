#include "fanout/common/log.hpp"

#include <cstdlib>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace fanout::common {
namespace {

// `<N>` syslog priority prefix understood by journald on stderr streams.
class PriorityFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const char* p = "<6>";
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug: p = "<7>"; break;
            case spdlog::level::warn: p = "<4>"; break;
            case spdlog::level::err: p = "<3>"; break;
            case spdlog::level::critical: p = "<2>"; break;
            default: break;
        }
        dest.append(p, p + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<PriorityFlag>(); }
};

std::shared_ptr<spdlog::logger>& instance() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        auto l = std::make_shared<spdlog::logger>("fanout", std::make_shared<spdlog::sinks::stderr_sink_mt>());
        l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
        l->flush_on(spdlog::level::trace);
        return l;
    }();
    return logger;
}

}  // namespace

void init_logging(LogFormat format, spdlog::level::level_enum level) {
    auto& logger = instance();
    if (format == LogFormat::automatic) format = std::getenv("JOURNAL_STREAM") ? LogFormat::journal : LogFormat::plain;
    if (format == LogFormat::journal) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<PriorityFlag>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
    }
    logger->set_level(level);
}

spdlog::logger& log() { return *instance(); }

spdlog::level::level_enum log_level_named(std::string_view name) noexcept {
    if (name == "debug") return spdlog::level::debug;
    if (name == "warning") return spdlog::level::warn;
    if (name == "error") return spdlog::level::err;
    return spdlog::level::info;
}

LogFormat log_format_named(std::string_view name) noexcept {
    if (name == "plain") return LogFormat::plain;
    if (name == "journal") return LogFormat::journal;
    return LogFormat::automatic;
}

}  // namespace fanout::common
