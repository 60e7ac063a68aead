#pragma once
// Read-only view of one Kafka record carrying a Fanout event envelope.
// See docs/events.md for the contract.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fanout {

struct Header {
    std::string_view name;
    std::string_view value;
};

/// Typed access to the fields of the envelope's `data` object. The host
/// parses the payload on the first call, never before: a plugin that only
/// needs the raw bytes pays nothing.
///
/// Lifetime: valid as long as the Event it came from.
class DataView {
public:
    virtual ~DataView() = default;
    /// False when the payload is not a JSON envelope with a `data` object.
    virtual bool valid() const = 0;
    virtual bool has(std::string_view field) const = 0;
    virtual std::optional<std::string_view> string(std::string_view field) const = 0;
    virtual std::optional<std::int64_t> integer(std::string_view field) const = 0;
    virtual std::optional<double> number(std::string_view field) const = 0;
    virtual std::optional<bool> boolean(std::string_view field) const = 0;
    /// The `data` object re-serialised as compact JSON ("{}" when absent).
    virtual std::string json() const = 0;
};

/// One event as handed to a plugin.
///
/// Ownership: the host owns every Event and all memory its views point into.
/// Threading: created and used on the plugin's pipeline thread; valid until
/// the call that received it returns. Copy what you need to keep.
class Event {
public:
    virtual ~Event() = default;

    // Kafka coordinates: always available, no parsing.
    virtual std::string_view topic() const = 0;
    virtual std::int32_t partition() const = 0;
    virtual std::int64_t offset() const = 0;
    virtual std::string_view key() const = 0;
    virtual std::span<const Header> headers() const = 0;
    virtual std::optional<std::string_view> header(std::string_view name) const = 0;
    /// The record value: the JSON envelope as published.
    virtual std::string_view payload() const = 0;
    /// Kafka record timestamp, milliseconds since the epoch (-1 when absent).
    virtual std::int64_t record_timestamp_ms() const = 0;

    // Envelope fields: parsed on first use. Empty / 0 when the payload is
    // not a valid envelope; check envelope_valid() when it matters.
    virtual bool envelope_valid() const = 0;
    virtual std::string_view event_id() const = 0;
    /// e.g. "PostCreatedEvent" (from the `event-type` header when present).
    virtual std::string_view type() const = 0;
    virtual std::string_view aggregate_id() const = 0;
    virtual std::int64_t version() const = 0;
    virtual std::int64_t global_sequence() const = 0;
    /// `occurredAt` as written (RFC 3339, UTC, milliseconds).
    virtual std::string_view occurred_at() const = 0;
    /// `occurredAt` as milliseconds since the epoch (-1 when unparsable).
    virtual std::int64_t occurred_at_ms() const = 0;
    virtual const DataView& data() const = 0;
};

}  // namespace fanout
