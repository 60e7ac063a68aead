#pragma once
// fanout::Event over one librdkafka message, parsing the envelope lazily.
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "fanout/event.hpp"
#include "fanout/timestamp.hpp"
#include "json_arena.hpp"
#include "kafka.hpp"

namespace fanout::daemon {

/// Envelope field names (docs/events.md).
namespace envelope {
inline constexpr const char* event_id = "eventId";
inline constexpr const char* type = "type";
inline constexpr const char* aggregate_id = "aggregateId";
inline constexpr const char* aggregate_type = "aggregateType";
inline constexpr const char* version = "version";
inline constexpr const char* global_sequence = "globalSequence";
inline constexpr const char* occurred_at = "occurredAt";
inline constexpr const char* data = "data";
inline constexpr const char* header_type = "event-type";
inline constexpr const char* header_id = "event-id";
}  // namespace envelope

using fanout::parse_rfc3339_ms;  // fanout/timestamp.hpp

class EventRecord final : public Event, private DataView {
public:
    using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, JsonArena>;
    using Value = Document::ValueType;

    /// Takes ownership of the message. The envelope is parsed into `arena`
    /// (which must outlive the record) or, without one, into an arena of the
    /// record's own.
    explicit EventRecord(KafkaMessage message, JsonArena* arena = nullptr);

    const rd_kafka_message_t& message() const noexcept { return *message_; }
    /// Parse the envelope now instead of at the first access; false when it
    /// is not a JSON object. Not thread-safe with other calls on this record.
    bool parse_envelope() const { return parsed() != nullptr; }

    std::string_view topic() const override { return topic_; }
    std::int32_t partition() const override { return message_->partition; }
    std::int64_t offset() const override { return message_->offset; }
    std::string_view key() const override;
    std::span<const Header> headers() const override;
    std::optional<std::string_view> header(std::string_view name) const override;
    std::string_view payload() const override;
    std::int64_t record_timestamp_ms() const override;

    bool envelope_valid() const override;
    std::string_view event_id() const override;
    std::string_view type() const override;
    std::string_view aggregate_id() const override;
    std::int64_t version() const override;
    std::int64_t global_sequence() const override;
    std::string_view occurred_at() const override;
    std::int64_t occurred_at_ms() const override;
    const DataView& data() const override { return *this; }

private:
    // DataView
    bool valid() const override;
    bool has(std::string_view field) const override;
    std::optional<std::string_view> string(std::string_view field) const override;
    std::optional<std::int64_t> integer(std::string_view field) const override;
    std::optional<double> number(std::string_view field) const override;
    std::optional<bool> boolean(std::string_view field) const override;
    std::string json() const override;

    const Document* parsed() const;
    std::string_view envelope_string(const char* field) const;
    std::int64_t envelope_integer(const char* field) const;
    const Value* data_field(std::string_view field) const;

    KafkaMessage message_;
    std::string_view topic_;
    mutable std::optional<std::vector<Header>> headers_;
    JsonArena* arena_;
    mutable std::unique_ptr<JsonArena> own_arena_;
    mutable std::optional<Document> document_;
    mutable const Value* data_ = nullptr;  ///< the envelope's `data`, when an object
    mutable bool parse_failed_ = false;
};

}  // namespace fanout::daemon
