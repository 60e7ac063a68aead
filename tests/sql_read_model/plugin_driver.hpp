#pragma once
// The built libfanout_sql_read_model.so, loaded by the daemon's own
// PluginLibrary and driven like a pipeline drives it, without Kafka.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fake_event.hpp"
#include "fanout/fanout.hpp"
#include "plugin_library.hpp"

namespace fanout::test {

class FakeCounter final : public Counter {
public:
    void add(std::uint64_t n) override { value_ += n; }
    std::uint64_t value() const override { return value_; }

private:
    std::uint64_t value_ = 0;
};

class FakeGauge final : public Gauge {
public:
    void set(double v) override { value_ = v; }
    double value() const override { return value_; }

private:
    double value_ = 0;
};

/// Records log lines; counters and gauges by name.
class FakeContext final : public Context, private Logger {
public:
    FakeContext(std::string name, std::string group) : name_(std::move(name)), group_(std::move(group)) {}
    std::string_view plugin_name() const override { return name_; }
    std::string_view consumer_group() const override { return group_; }
    Logger& logger() override { return *this; }
    Counter& counter(std::string_view name) override { return counters_[std::string(name)]; }
    Gauge& gauge(std::string_view name) override { return gauges_[std::string(name)]; }
    std::string log_text() const;

private:
    void log(LogLevel level, std::string_view message) override;
    bool enabled(LogLevel) const override { return true; }

    std::string name_, group_;
    std::map<std::string, FakeCounter> counters_;
    std::map<std::string, FakeGauge> gauges_;
    mutable std::mutex mutex_;
    std::string log_;
};

class PluginUnderTest {
public:
    /// `options_yaml`: the plugin's options block as YAML. Throws what the
    /// host would report (ConfigError for bad options, create()'s throw).
    explicit PluginUnderTest(const std::string& options_yaml, std::string group = "fanout.read-model");
    ~PluginUnderTest();

    /// handle() with all-done outcomes in, the plugin's outcomes out.
    std::vector<Outcome> handle(const std::vector<FakeEvent>& events);
    /// on_assigned for `partitions` of `topic`; returns next offsets.
    std::vector<std::int64_t> assign(const std::string& topic, const std::vector<int>& partitions);
    void revoke(const std::string& topic, const std::vector<int>& partitions);

    std::uint64_t counter(const std::string& name) { return context_.counter(name).value(); }
    std::string log() const { return context_.log_text(); }

private:
    // The library outlives the plugin it made.
    std::shared_ptr<daemon::PluginLibrary> library_;
    FakeContext context_;
    std::unique_ptr<Plugin> plugin_;
};

}  // namespace fanout::test
