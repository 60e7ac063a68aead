#pragma once
// fanoutd as a whole: one pipeline per plugin, shared dead-letter producer.
#include <chrono>
#include <memory>
#include <vector>

#include "config.hpp"
#include "dead_letter.hpp"
#include "metrics.hpp"
#include "pipeline.hpp"
#include "plugin_factory.hpp"

namespace fanout::daemon {

/// Exit codes (sysexits.h where one fits).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 64;         // EX_USAGE
inline constexpr int unavailable = 69;   // EX_UNAVAILABLE: a plugin failed to start
inline constexpr int software = 70;      // EX_SOFTWARE: drain timeout exceeded
inline constexpr int config = 78;        // EX_CONFIG
}  // namespace exit_code

class Daemon {
public:
    Daemon(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories);
    ~Daemon();

    /// Start every pipeline; false (after stopping the others) when one
    /// failed to start. Waits at most `timeout` for plugins to come up.
    bool start(std::chrono::milliseconds timeout);
    /// Ask every pipeline to finish its batch and stop.
    void request_stop();
    /// Wait for all pipelines up to the drain timeout; false if one is stuck.
    bool wait_drained();
    /// SIGHUP: swap in new instances of plugins whose source changed.
    void reload_changed();

    const std::vector<std::unique_ptr<Pipeline>>& pipelines() const noexcept { return pipelines_; }
    MetricsRegistry& metrics() noexcept { return metrics_; }
    const DaemonSettings& settings() const noexcept { return settings_; }

private:
    DaemonSettings settings_;
    MetricsRegistry metrics_;
    std::unique_ptr<SyncProducer> producer_;
    std::unique_ptr<DeadLetterSink> dead_letters_;
    std::unique_ptr<HostServices> services_;
    std::vector<std::unique_ptr<Pipeline>> pipelines_;
};

}  // namespace fanout::daemon
