#pragma once
// Logging: the process logger (fanout/common/log.hpp), and plugins' loggers on it.
#include <memory>
#include <string>
#include <string_view>

#include "fanout/common/log.hpp"
#include "fanout/context.hpp"

namespace fanout::daemon {

using common::init_logging;
using common::log;
using common::LogFormat;

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
