#pragma once
// What the host gives a plugin: a logger, metrics, identity.
#include <cstdint>
#include <string_view>

namespace fanout {

enum class LogLevel { debug, info, warning, error };

/// Logger whose lines carry the plugin's name first (`[audit] ...`).
/// Thread-safe.
class Logger {
public:
    virtual ~Logger() = default;
    virtual void log(LogLevel level, std::string_view message) = 0;
    virtual bool enabled(LogLevel level) const = 0;

    void debug(std::string_view m) { log(LogLevel::debug, m); }
    void info(std::string_view m) { log(LogLevel::info, m); }
    void warning(std::string_view m) { log(LogLevel::warning, m); }
    void error(std::string_view m) { log(LogLevel::error, m); }
};

/// Monotonic counter exported with the daemon's metrics. Thread-safe.
class Counter {
public:
    virtual ~Counter() = default;
    virtual void add(std::uint64_t n = 1) = 0;
    virtual std::uint64_t value() const = 0;
};

/// Settable value exported with the daemon's metrics. Thread-safe.
class Gauge {
public:
    virtual ~Gauge() = default;
    virtual void set(double value) = 0;
    virtual double value() const = 0;
};

/// Ownership: the host owns the Context and everything it returns; both
/// outlive the plugin object. A Counter or Gauge reference may be cached.
class Context {
public:
    virtual ~Context() = default;
    /// The plugin instance's configured name (unique in the config).
    virtual std::string_view plugin_name() const = 0;
    /// Kafka consumer group of this instance: `<group_prefix>.<name>`.
    virtual std::string_view consumer_group() const = 0;
    virtual Logger& logger() = 0;
    /// Counter exported as `fanout_plugin_counter_total{plugin="...",name="..."}`;
    /// created on first use.
    virtual Counter& counter(std::string_view name) = 0;
    /// Gauge exported as `fanout_plugin_gauge{plugin="...",name="..."}`.
    virtual Gauge& gauge(std::string_view name) = 0;
};

}  // namespace fanout
