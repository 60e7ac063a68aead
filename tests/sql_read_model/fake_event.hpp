#pragma once
// A fanout::Event over an in-memory record, with the daemon's envelope rules
// (daemon/src/event_record.cpp): for driving plugins without Kafka.
#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "fanout/event.hpp"

namespace fanout::test {

class FakeEvent final : public Event, private DataView {
public:
    FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
              std::string key = {});
    /// Parsed into `pool` (which must outlive the event): many events, few allocations.
    FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload, std::string key,
              rapidjson::Document::AllocatorType& pool);
    FakeEvent(const FakeEvent& other);
    FakeEvent& operator=(const FakeEvent&) = delete;

    std::string_view topic() const override { return topic_; }
    std::int32_t partition() const override { return partition_; }
    std::int64_t offset() const override { return offset_; }
    std::string_view key() const override { return key_; }
    std::span<const Header> headers() const override { return {}; }
    std::optional<std::string_view> header(std::string_view) const override { return std::nullopt; }
    std::string_view payload() const override { return payload_; }
    std::int64_t record_timestamp_ms() const override { return -1; }

    bool envelope_valid() const override;
    std::string_view event_id() const override { return envelope_string("eventId"); }
    std::string_view type() const override { return envelope_string("type"); }
    std::string_view aggregate_id() const override { return envelope_string("aggregateId"); }
    std::int64_t version() const override { return envelope_integer("version"); }
    std::int64_t global_sequence() const override { return envelope_integer("globalSequence"); }
    std::string_view occurred_at() const override { return envelope_string("occurredAt"); }
    std::int64_t occurred_at_ms() const override { return -1; }
    const DataView& data() const override { return *this; }

private:
    bool valid() const override;
    bool has(std::string_view field) const override { return data_field(field) != nullptr; }
    std::optional<std::string_view> string(std::string_view field) const override;
    std::optional<std::int64_t> integer(std::string_view field) const override;
    std::optional<double> number(std::string_view field) const override;
    std::optional<bool> boolean(std::string_view field) const override;
    std::string json() const override;

    void parse();
    std::string_view envelope_string(const char* field) const;
    std::int64_t envelope_integer(const char* field) const;
    const rapidjson::Value* data_field(std::string_view field) const;

    std::string topic_;
    std::int32_t partition_;
    std::int64_t offset_;
    std::string payload_;
    std::string key_;
    rapidjson::Document document_;
    bool parsed_ = false;
};

/// Pointers for Plugin::handle().
std::vector<const Event*> pointers(const std::vector<FakeEvent>& events);

}  // namespace fanout::test
