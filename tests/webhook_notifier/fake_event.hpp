#pragma once
// An in-memory fanout::Event for unit tests of the notifier's pure parts.
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "fanout/event.hpp"

namespace fanout::plugins::webhook::test {

using Value = std::variant<std::string, std::int64_t, double, bool>;

class FakeData final : public DataView {
public:
    std::map<std::string, Value, std::less<>> fields;
    std::string raw_json = "{}";

    bool valid() const override { return true; }
    bool has(std::string_view f) const override { return fields.find(f) != fields.end(); }
    std::optional<std::string_view> string(std::string_view f) const override { return get<std::string>(f); }
    std::optional<std::int64_t> integer(std::string_view f) const override { return get<std::int64_t>(f); }
    std::optional<double> number(std::string_view f) const override { return get<double>(f); }
    std::optional<bool> boolean(std::string_view f) const override { return get<bool>(f); }
    std::string json() const override { return raw_json; }

private:
    template <typename T>
    std::optional<std::conditional_t<std::is_same_v<T, std::string>, std::string_view, T>> get(
        std::string_view f) const {
        const auto it = fields.find(f);
        if (it == fields.end() || !std::holds_alternative<T>(it->second)) return std::nullopt;
        return std::get<T>(it->second);
    }
};

class FakeEvent final : public Event {
public:
    std::string topic_name = "post-events";
    std::int32_t partition_number = 2;
    std::int64_t offset_number = 41;
    std::string id = "0d6f7c1e-3b0a-4d2f-8a53-5f1e2c9b7a01";
    std::string event_type = "PostCreatedEvent";
    std::string aggregate = "b8a1f3a2-6c0e-4d5e-9f1a-2b3c4d5e6f70";
    std::int64_t version_number = 1;
    std::int64_t sequence = 10231;
    std::string occurred = "2026-11-22T09:15:02.417Z";
    FakeData payload_data;

    std::string_view topic() const override { return topic_name; }
    std::int32_t partition() const override { return partition_number; }
    std::int64_t offset() const override { return offset_number; }
    std::string_view key() const override { return aggregate; }
    std::span<const Header> headers() const override { return {}; }
    std::optional<std::string_view> header(std::string_view) const override { return std::nullopt; }
    std::string_view payload() const override { return {}; }
    std::int64_t record_timestamp_ms() const override { return -1; }
    bool envelope_valid() const override { return true; }
    std::string_view event_id() const override { return id; }
    std::string_view type() const override { return event_type; }
    std::string_view aggregate_id() const override { return aggregate; }
    std::int64_t version() const override { return version_number; }
    std::int64_t global_sequence() const override { return sequence; }
    std::string_view occurred_at() const override { return occurred; }
    std::int64_t occurred_at_ms() const override { return -1; }
    const DataView& data() const override { return payload_data; }
};

}  // namespace fanout::plugins::webhook::test
