#include "metrics.hpp"

namespace fanout::daemon {

AtomicCounter& MetricsRegistry::counter(std::string_view plugin, std::string_view name) {
    std::lock_guard lock(mutex_);
    auto& slot = counters_[Key(plugin, name)];
    if (!slot) slot = std::make_unique<AtomicCounter>();
    return *slot;
}

std::optional<double> MetricsRegistry::gauge_value(std::string_view plugin, std::string_view name) const {
    std::lock_guard lock(mutex_);
    const auto it = gauges_.find(Key{std::string(plugin), std::string(name)});
    if (it == gauges_.end()) return std::nullopt;
    return it->second->value();
}

AtomicGauge& MetricsRegistry::gauge(std::string_view plugin, std::string_view name) {
    std::lock_guard lock(mutex_);
    auto& slot = gauges_[Key(plugin, name)];
    if (!slot) slot = std::make_unique<AtomicGauge>();
    return *slot;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    double sum = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
    }
    count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upper_bounds = bounds_;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    s.count = running;
    return s;
}

Histogram& MetricsRegistry::histogram(std::string_view plugin, std::string_view name, const std::vector<double>& bounds) {
    std::lock_guard lock(mutex_);
    auto& slot = histograms_[Key(plugin, name)];
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    return *slot;
}

std::vector<MetricsRegistry::HistogramSample> MetricsRegistry::histograms() const {
    std::lock_guard lock(mutex_);
    std::vector<HistogramSample> out;
    for (const auto& [key, h] : histograms_) out.push_back({key.first, key.second, h->snapshot()});
    return out;
}

std::vector<MetricsRegistry::Sample> MetricsRegistry::snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<Sample> out;
    for (const auto& [key, c] : counters_) out.push_back({key.first, key.second, static_cast<double>(c->value()), true});
    for (const auto& [key, g] : gauges_) out.push_back({key.first, key.second, g->value(), false});
    return out;
}

PipelineCounters::PipelineCounters(MetricsRegistry& r, std::string_view plugin)
    : events_done(r.counter(plugin, "events_done")),
      events_filtered(r.counter(plugin, "events_filtered")),
      events_retried(r.counter(plugin, "events_retried")),
      events_dead_lettered(r.counter(plugin, "events_dead_lettered")),
      handler_exceptions(r.counter(plugin, "handler_exceptions")),
      batches(r.counter(plugin, "batches")),
      fetch_wakeups(r.counter(plugin, "fetch_wakeups")),
      handler_seconds(r.histogram(plugin, "handler_seconds",
                                  {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30})),
      batch_size(r.histogram(plugin, "batch_size", {1, 10, 50, 100, 250, 500, 1000, 5000})) {}

}  // namespace fanout::daemon
