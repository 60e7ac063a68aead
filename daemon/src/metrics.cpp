#include "metrics.hpp"

namespace fanout::daemon {

AtomicCounter& MetricsRegistry::counter(std::string_view plugin, std::string_view name) {
    std::lock_guard lock(mutex_);
    auto& slot = counters_[Key(plugin, name)];
    if (!slot) slot = std::make_unique<AtomicCounter>();
    return *slot;
}

AtomicGauge& MetricsRegistry::gauge(std::string_view plugin, std::string_view name) {
    std::lock_guard lock(mutex_);
    auto& slot = gauges_[Key(plugin, name)];
    if (!slot) slot = std::make_unique<AtomicGauge>();
    return *slot;
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
      batches(r.counter(plugin, "batches")) {}

}  // namespace fanout::daemon
