#pragma once
// fanout::testing::FakeContext and FakeOptions: what the host hands a plugin,
// in memory, readable by the test.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fanout/context.hpp"
#include "fanout/support/atomic_metrics.hpp"
#include "fanout/options.hpp"

namespace fanout::testing {

inline const char* to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "unknown";
}

struct LogLine {
    LogLevel level;
    std::string message;
    bool operator==(const LogLine&) const = default;
};

/// Keeps every line logged at or above `min_level`. Thread-safe, like the host's.
class FakeLogger final : public Logger {
public:
    explicit FakeLogger(std::string plugin_name = {}, LogLevel min_level = LogLevel::debug)
        : plugin_name_(std::move(plugin_name)), min_level_(min_level) {}

    void log(LogLevel level, std::string_view message) override {
        if (!enabled(level)) return;
        std::lock_guard lock(mutex_);
        lines_.push_back({level, std::string(message)});
    }
    bool enabled(LogLevel level) const override { return level >= min_level_; }

    std::vector<LogLine> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    /// True when a line (of `level`, when given) contains `text`.
    bool contains(std::string_view text, std::optional<LogLevel> level = std::nullopt) const {
        return count(text, level) > 0;
    }
    std::size_t count(std::string_view text, std::optional<LogLevel> level = std::nullopt) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const LogLine& l : lines_) {
            if ((!level || l.level == *level) && l.message.find(text) != std::string::npos) ++n;
        }
        return n;
    }
    /// Every line as `<level> [<plugin>] <message>\n`, for failure messages.
    std::string text() const {
        std::lock_guard lock(mutex_);
        std::string out;
        for (const LogLine& l : lines_) {
            out.append(to_string(l.level)).append(" [").append(plugin_name_).append("] ").append(l.message) += '\n';
        }
        return out;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        lines_.clear();
    }

private:
    std::string plugin_name_;
    LogLevel min_level_;
    mutable std::mutex mutex_;
    std::vector<LogLine> lines_;
};

using FakeCounter = support::AtomicCounter;
using FakeGauge = support::AtomicGauge;

/// A Context whose log, counters and gauges the test reads back. Thread-safe.
class FakeContext final : public Context {
public:
    /// `consumer_group` empty: `fanout.<plugin_name>`, as with the default group prefix.
    explicit FakeContext(std::string plugin_name = "test", std::string consumer_group = {},
                         LogLevel min_level = LogLevel::debug)
        : name_(std::move(plugin_name)),
          group_(consumer_group.empty() ? "fanout." + name_ : std::move(consumer_group)),
          logger_(name_, min_level) {}

    std::string_view plugin_name() const override { return name_; }
    std::string_view consumer_group() const override { return group_; }
    Logger& logger() override { return logger_; }
    Counter& counter(std::string_view name) override { return slot(counters_, name); }
    Gauge& gauge(std::string_view name) override { return slot(gauges_, name); }

    /// The logger, with what it kept.
    FakeLogger& log() noexcept { return logger_; }
    const FakeLogger& log() const noexcept { return logger_; }
    /// A counter's value; nullopt when the plugin never asked for it.
    std::optional<std::uint64_t> counter_value(std::string_view name) const { return value_of(counters_, name); }
    std::optional<double> gauge_value(std::string_view name) const { return value_of(gauges_, name); }
    /// Every counter (gauge) by name.
    std::map<std::string, std::uint64_t> counters() const { return values(counters_); }
    std::map<std::string, double> gauges() const { return values(gauges_); }

private:
    template <class T>
    T& slot(std::map<std::string, std::unique_ptr<T>, std::less<>>& map, std::string_view name) {
        std::lock_guard lock(mutex_);
        auto it = map.find(name);
        if (it == map.end()) it = map.emplace(std::string(name), std::make_unique<T>()).first;
        return *it->second;
    }
    template <class T>
    auto value_of(const std::map<std::string, std::unique_ptr<T>, std::less<>>& map, std::string_view name) const
        -> std::optional<decltype(std::declval<T>().value())> {
        std::lock_guard lock(mutex_);
        const auto it = map.find(name);
        if (it == map.end()) return std::nullopt;
        return it->second->value();
    }
    template <class T>
    std::map<std::string, decltype(std::declval<T>().value())> values(
        const std::map<std::string, std::unique_ptr<T>, std::less<>>& map) const {
        std::lock_guard lock(mutex_);
        std::map<std::string, decltype(std::declval<T>().value())> out;
        for (const auto& [name, item] : map) out.emplace(name, item->value());
        return out;
    }

    std::string name_;
    std::string group_;
    FakeLogger logger_;
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<FakeCounter>, std::less<>> counters_;
    std::map<std::string, std::unique_ptr<FakeGauge>, std::less<>> gauges_;
};

/// Options as the host hands them to create(): every declared option present,
/// defaults from the schema, values set by the test. Like the host, it
/// refuses a key the schema does not declare and a missing required option
/// (std::invalid_argument); getters throw std::out_of_range for an undeclared
/// key or a mismatched type. Values are typed, not YAML: the host's parsing
/// of the config file is not what a plugin's test is about.
class FakeOptions final : public Options {
public:
    using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

    /// Without a schema: exactly the values given.
    explicit FakeOptions(std::map<std::string, Value, std::less<>> values = {}) : values_(std::move(values)) {}
    FakeOptions(std::span<const OptionSpec> schema, std::map<std::string, Value, std::less<>> values)
        : with_schema_(true) {
        for (const auto& [key, value] : values) {
            bool declared = false;
            for (const OptionSpec& spec : schema) declared = declared || key == spec.key;
            if (!declared) throw std::invalid_argument("unknown option '" + key + "'");
        }
        for (const OptionSpec& spec : schema) {
            if (auto it = values.find(spec.key); it != values.end()) {
                values_[spec.key] = convert(spec, it->second);
                set_.emplace_back(spec.key);
            } else if (spec.default_value != nullptr) {
                values_[spec.key] = parse_default(spec);
            } else {
                throw std::invalid_argument("missing required option '" + std::string(spec.key) + "'");
            }
        }
    }

    const std::string& get_string(std::string_view key) const override { return get<std::string>(key); }
    std::int64_t get_integer(std::string_view key) const override { return get<std::int64_t>(key); }
    double get_number(std::string_view key) const override { return get<double>(key); }
    bool get_boolean(std::string_view key) const override { return get<bool>(key); }
    const std::vector<std::string>& get_list(std::string_view key) const override {
        return get<std::vector<std::string>>(key);
    }
    /// With a schema: the test gave the value. Without one: it is present.
    bool is_set(std::string_view key) const override {
        if (!with_schema_) return values_.find(key) != values_.end();
        for (const auto& k : set_) {
            if (k == key) return true;
        }
        return false;
    }

private:
    template <class T>
    const T& get(std::string_view key) const {
        const auto it = values_.find(key);
        if (it == values_.end()) throw std::out_of_range("option '" + std::string(key) + "' is not declared");
        const T* v = std::get_if<T>(&it->second);
        if (v == nullptr) throw std::out_of_range("option '" + std::string(key) + "' read with the wrong type");
        return *v;
    }

    static Value convert(const OptionSpec& spec, const Value& v) {
        // A whole number is a valid number option, as in YAML.
        if (spec.type == OptionType::number && std::holds_alternative<std::int64_t>(v)) {
            return static_cast<double>(std::get<std::int64_t>(v));
        }
        // One scalar is a one-item list, as in the config file.
        if (spec.type == OptionType::string_list && std::holds_alternative<std::string>(v)) {
            return std::vector<std::string>{std::get<std::string>(v)};
        }
        const bool fits = (spec.type == OptionType::string && std::holds_alternative<std::string>(v)) ||
                          (spec.type == OptionType::integer && std::holds_alternative<std::int64_t>(v)) ||
                          (spec.type == OptionType::number && std::holds_alternative<double>(v)) ||
                          (spec.type == OptionType::boolean && std::holds_alternative<bool>(v)) ||
                          (spec.type == OptionType::string_list && std::holds_alternative<std::vector<std::string>>(v));
        if (!fits) {
            throw std::invalid_argument("option '" + std::string(spec.key) + "' must be a " + to_string(spec.type));
        }
        return v;
    }

    static Value parse_default(const OptionSpec& spec) {
        const std::string text = spec.default_value;
        const auto fail = [&] {
            return std::invalid_argument("option '" + std::string(spec.key) + "' has an invalid default '" + text +
                                         "'");
        };
        switch (spec.type) {
            case OptionType::string: return text;
            case OptionType::integer: {
                std::size_t used = 0;
                const long long v = std::stoll(text, &used);
                if (used != text.size()) throw fail();
                return static_cast<std::int64_t>(v);
            }
            case OptionType::number: {
                std::size_t used = 0;
                const double v = std::stod(text, &used);
                if (used != text.size()) throw fail();
                return v;
            }
            case OptionType::boolean:
                if (text == "true") return true;
                if (text == "false") return false;
                throw fail();
            case OptionType::string_list: {
                std::vector<std::string> list;
                std::size_t from = 0;
                while (!text.empty() && from <= text.size()) {
                    const auto comma = text.find(',', from);
                    std::string item = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
                    const auto first = item.find_first_not_of(' ');
                    const auto last = item.find_last_not_of(' ');
                    list.push_back(first == std::string::npos ? std::string{} : item.substr(first, last - first + 1));
                    if (comma == std::string::npos) break;
                    from = comma + 1;
                }
                return list;
            }
        }
        throw fail();
    }

    std::map<std::string, Value, std::less<>> values_;
    std::vector<std::string> set_;
    bool with_schema_ = false;
};

}  // namespace fanout::testing
