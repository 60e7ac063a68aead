#pragma once
// Counters and gauges of every plugin, read by the admin endpoint and tests.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fanout/context.hpp"
#include "fanout/support/atomic_metrics.hpp"

namespace fanout::daemon {

using AtomicCounter = support::AtomicCounter;
using AtomicGauge = support::AtomicGauge;

/// Fixed-bucket histogram (Prometheus semantics: cumulative on export).
/// observe() is lock-free; readers may see a sample in count before sum.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double value);

    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<std::uint64_t> cumulative;  ///< one per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
    std::atomic<double> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

/// Thread-safe. Metrics live as long as the registry: references stay valid.
class MetricsRegistry {
public:
    AtomicCounter& counter(std::string_view plugin, std::string_view name);
    AtomicGauge& gauge(std::string_view plugin, std::string_view name);
    /// The gauge's value when a plugin created it, else nothing.
    std::optional<double> gauge_value(std::string_view plugin, std::string_view name) const;
    Histogram& histogram(std::string_view plugin, std::string_view name, const std::vector<double>& bounds);

    struct Sample {
        std::string plugin;
        std::string name;
        double value;
        bool is_counter;
    };
    std::vector<Sample> snapshot() const;

    struct HistogramSample {
        std::string plugin;
        std::string name;
        Histogram::Snapshot data;
    };
    std::vector<HistogramSample> histograms() const;

private:
    using Key = std::pair<std::string, std::string>;
    mutable std::mutex mutex_;
    std::map<Key, std::unique_ptr<AtomicCounter>> counters_;
    std::map<Key, std::unique_ptr<AtomicGauge>> gauges_;
    std::map<Key, std::unique_ptr<Histogram>> histograms_;
};

/// The standard per-plugin counters the pipeline maintains.
struct PipelineCounters {
    PipelineCounters(MetricsRegistry& registry, std::string_view plugin);
    AtomicCounter& events_done;
    AtomicCounter& events_filtered;
    AtomicCounter& events_retried;
    AtomicCounter& events_dead_lettered;
    AtomicCounter& handler_exceptions;
    AtomicCounter& batches;
    AtomicCounter& fetch_wakeups;  ///< fetchers woken while the consumer queue ran low
    Histogram& handler_seconds;  ///< time in Plugin::handle per batch
    Histogram& batch_size;       ///< events handed to the plugin per batch
};

}  // namespace fanout::daemon
