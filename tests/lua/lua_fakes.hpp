#pragma once
// Stand-ins for what the host gives a LuaPlugin, for tests without Kafka.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_plugin.hpp"

namespace fanout::test {

/// An event with explicit fields; `data` is a JSON object parsed on first use.
class FakeEvent final : public Event, private DataView {
public:
    struct Fields {
        std::string topic = "posts";
        std::int32_t partition = 0;
        std::int64_t offset = 0;
        std::string key = "post-1";
        std::string type = "PostCreatedEvent";
        std::string event_id = "11111111-2222-4333-8444-555555555555";
        std::string aggregate_id = "post-1";
        std::int64_t version = 1;
        std::int64_t global_sequence = 1;
        std::string occurred_at = "2026-11-22T10:00:00.123Z";
        std::int64_t occurred_at_ms = 1795340400123;
        std::string data = "{}";
        std::vector<std::pair<std::string, std::string>> headers;
    };

    explicit FakeEvent(Fields fields);
    // Headers and payload are views into fields: copies rebuild them.
    FakeEvent(const FakeEvent& other) : FakeEvent(other.f_) {}
    FakeEvent& operator=(const FakeEvent&) = delete;

    /// How often the data object was looked into (laziness checks).
    int data_reads() const { return data_reads_; }

    std::string_view topic() const override { return f_.topic; }
    std::int32_t partition() const override { return f_.partition; }
    std::int64_t offset() const override { return f_.offset; }
    std::string_view key() const override { return f_.key; }
    std::span<const Header> headers() const override { return headers_; }
    std::optional<std::string_view> header(std::string_view name) const override;
    std::string_view payload() const override { return payload_; }
    std::int64_t record_timestamp_ms() const override { return -1; }
    bool envelope_valid() const override { return true; }
    std::string_view event_id() const override { return f_.event_id; }
    std::string_view type() const override { return f_.type; }
    std::string_view aggregate_id() const override { return f_.aggregate_id; }
    std::int64_t version() const override { return f_.version; }
    std::int64_t global_sequence() const override { return f_.global_sequence; }
    std::string_view occurred_at() const override { return f_.occurred_at; }
    std::int64_t occurred_at_ms() const override { return f_.occurred_at_ms; }
    const DataView& data() const override { return *this; }

private:
    bool valid() const override;
    bool has(std::string_view field) const override;
    std::optional<std::string_view> string(std::string_view field) const override;
    std::optional<std::int64_t> integer(std::string_view field) const override;
    std::optional<double> number(std::string_view field) const override;
    std::optional<bool> boolean(std::string_view field) const override;
    std::string json() const override;
    const rapidjson::Value* field(std::string_view name) const;

    Fields f_;
    std::vector<Header> headers_;
    std::string payload_;
    mutable std::optional<rapidjson::Document> doc_;
    mutable int data_reads_ = 0;
};

class RecordingLogger final : public Logger {
public:
    void log(LogLevel level, std::string_view message) override;
    bool enabled(LogLevel) const override { return true; }
    std::vector<std::pair<LogLevel, std::string>> lines() const;
    bool contains(std::string_view text) const;

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<LogLevel, std::string>> lines_;
};

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

class FakeContext final : public Context {
public:
    explicit FakeContext(std::string name = "script") : name_(std::move(name)) {}
    std::string_view plugin_name() const override { return name_; }
    std::string_view consumer_group() const override { return "fanout.script"; }
    Logger& logger() override { return logger_; }
    Counter& counter(std::string_view name) override;
    Gauge& gauge(std::string_view name) override;

    RecordingLogger& log() { return logger_; }
    /// Value of a counter / gauge, nullopt when never created.
    std::optional<std::uint64_t> counter_value(const std::string& name) const;
    std::optional<double> gauge_value(const std::string& name) const;
    std::size_t counter_count() const { return counters_.size(); }

private:
    std::string name_;
    RecordingLogger logger_;
    std::map<std::string, std::unique_ptr<FakeCounter>, std::less<>> counters_;
    std::map<std::string, std::unique_ptr<FakeGauge>, std::less<>> gauges_;
};

struct SentRecord {
    std::string topic, key, value;
    daemon::lua::Emitter::Headers headers;
    std::string header(const std::string& name) const;
};

/// Records what fanout.emit sends; fails every send while `fail_with` is set.
struct EmitLog {
    std::vector<SentRecord> sent;
    std::string fail_with;
};

class FakeEmitter final : public daemon::lua::Emitter {
public:
    explicit FakeEmitter(std::shared_ptr<EmitLog> log) : log_(std::move(log)) {}
    std::string send(std::string_view topic, std::string_view key, std::string_view value,
                     const Headers& headers) override;

private:
    std::shared_ptr<EmitLog> log_;
};

/// A LuaPlugin over a script text, with fakes around it.
struct ScriptHarness {
    explicit ScriptHarness(const std::string& source, const std::string& options_yaml = "{}",
                           daemon::lua::LuaLimits limits = {});

    /// handle() over `events`; returns the outcomes.
    std::vector<Outcome> run(const std::vector<FakeEvent>& events);
    Outcome run_one(const FakeEvent& event);

    FakeContext context;
    std::shared_ptr<EmitLog> emits = std::make_shared<EmitLog>();
    std::unique_ptr<daemon::lua::LuaPlugin> plugin;
};

/// A PostCreatedEvent at `offset` with the given data and type.
FakeEvent make_event(std::int64_t offset, std::string type = "PostCreatedEvent",
                     std::string data = R"({"author":"alice","message":"hi"})");

}  // namespace fanout::test
