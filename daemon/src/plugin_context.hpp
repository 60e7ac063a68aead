#pragma once
// The fanout::Context a pipeline hands its plugin.
#include <string>

#include "fanout/context.hpp"
#include "log.hpp"
#include "metrics.hpp"

namespace fanout::daemon {

/// A plugin's own counter or gauge `name` in the MetricsRegistry (exported
/// as fanout_plugin_counter_total / fanout_plugin_gauge with name="...").
inline std::string plugin_metric(std::string_view name) { return "custom_" + std::string(name); }

class PluginContext final : public Context {
public:
    PluginContext(std::string name, std::string group, MetricsRegistry& metrics)
        : name_(std::move(name)), group_(std::move(group)), logger_(name_), metrics_(metrics) {}

    std::string_view plugin_name() const override { return name_; }
    std::string_view consumer_group() const override { return group_; }
    Logger& logger() override { return logger_; }
    Counter& counter(std::string_view name) override { return metrics_.counter(name_, plugin_metric(name)); }
    Gauge& gauge(std::string_view name) override { return metrics_.gauge(name_, plugin_metric(name)); }

private:
    std::string name_;
    std::string group_;
    PluginLogger logger_;
    MetricsRegistry& metrics_;
};

}  // namespace fanout::daemon
