#pragma once
// fanout::testing::FakeEvent: one Kafka record in memory, read exactly as
// fanoutd reads a consumed record (docs/events.md).
#include <algorithm>
#include <cstdint>
#include <forward_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fanout/event.hpp"
#include "fanout/support/leading_type.hpp"
#include "fanout/timestamp.hpp"
#include "fanout/testing/json.hpp"

namespace fanout::testing {

using fanout::parse_rfc3339_ms;

/// A record exactly as it would arrive from Kafka: any value, valid or not.
struct RecordSpec {
    std::string topic = "post-events";
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key = {};
    std::string payload = {};
    std::vector<std::pair<std::string, std::string>> headers = {};
    std::int64_t record_timestamp_ms = -1;
};

/// An event as the command side publishes it (docs/events.md), field by
/// field. Use designated initializers: `{.type = "PostLikedEvent", .version = 3}`.
struct EventSpec {
    std::string type = "PostCreatedEvent";
    std::string aggregate_id = "post-1";
    std::int64_t version = 1;
    /// The `data` object as JSON text, copied into the envelope as written
    /// (text that is not a JSON object makes the envelope invalid, as it would be).
    std::string data = "{}";
    std::string topic = "post-events";
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    /// Sent after the publisher's own `event-type`, `event-id` and
    /// `content-type` headers (unless `standard_headers` is false).
    std::vector<std::pair<std::string, std::string>> headers = {};
    bool standard_headers = true;
    /// Empty: a UUID derived from the aggregate id, version and type, so
    /// distinct events get distinct ids and the same event the same one.
    std::string event_id = {};
    std::int64_t global_sequence = 1;
    std::string occurred_at = "2026-11-22T10:00:00.123Z";
    /// Empty: the aggregate id (publishers key by it).
    std::string key = {};
    std::int64_t record_timestamp_ms = -1;
    std::string aggregate_type = "Post";
};

/// The envelope's value for `spec`, compact, fields in the documented order.
inline std::string envelope_json(const EventSpec& spec, std::string_view event_id) {
    std::string out = "{\"eventId\":";
    detail::append_json_string(out, event_id);
    out += ",\"type\":";
    detail::append_json_string(out, spec.type);
    out += ",\"aggregateId\":";
    detail::append_json_string(out, spec.aggregate_id);
    out += ",\"aggregateType\":";
    detail::append_json_string(out, spec.aggregate_type);
    out += ",\"version\":" + std::to_string(spec.version);
    out += ",\"globalSequence\":" + std::to_string(spec.global_sequence);
    out += ",\"occurredAt\":";
    detail::append_json_string(out, spec.occurred_at);
    out += ",\"data\":" + spec.data + "}";
    return out;
}

/// A fanout::Event over one record held in memory, with fanoutd's rules:
/// the envelope is parsed on first use; `event_id()` prefers the `event-id`
/// header, `type()` the envelope's type, then the `event-type` header;
/// `aggregate_id()` falls back to the key; `header()` returns the last header
/// of a name; `envelope_valid()` needs a non-empty `type` and `aggregateId`,
/// `version` ≥ 1 and a `data` object whose numbers all fit a double.
///
/// Differences from fanoutd: doubles are read correctly rounded and written
/// back by `data().json()` in the shortest form that reads back the same;
/// fanoutd's parser and writer can differ in the last digits of numbers with
/// more than 17 significant digits (whole numbers beyond 64 bits, say).
/// tests/unit/sdk/testing_test.cpp compares the two on many records.
///
/// Not thread-safe (neither is a consumed record): use it on one thread.
/// A test may derive from it to add constructors of its own.
class FakeEvent : public Event, private DataView {
public:
    explicit FakeEvent(EventSpec spec = {}) : FakeEvent(to_record(std::move(spec)), RecordTag{}) {}
    FakeEvent(std::string type, std::string aggregate_id, std::int64_t version, std::string data = "{}")
        : FakeEvent(EventSpec{.type = std::move(type),
                              .aggregate_id = std::move(aggregate_id),
                              .version = version,
                              .data = std::move(data)}) {}
    /// A record with any value, headers and key (a malformed one included).
    static FakeEvent from_record(RecordSpec record) { return FakeEvent(std::move(record), RecordTag{}); }

    // Views point into the event's own strings: copies rebuild them.
    FakeEvent(const FakeEvent& other) : record_(other.record_) { copied_from(other); }
    FakeEvent(FakeEvent&& other) noexcept : record_(std::move(other.record_)) { copied_from(other); }
    FakeEvent& operator=(const FakeEvent& other) {
        if (this != &other) {
            record_ = other.record_;
            copied_from(other);
        }
        return *this;
    }
    FakeEvent& operator=(FakeEvent&& other) noexcept {
        if (this != &other) {
            record_ = std::move(other.record_);
            copied_from(other);
        }
        return *this;
    }

    /// The record this event reads.
    const RecordSpec& record() const noexcept { return record_; }
    /// The same record at another position (what a topic does on append).
    FakeEvent at(std::string topic, std::int32_t partition, std::int64_t offset) const {
        RecordSpec r = record_;
        r.topic = std::move(topic);
        r.partition = partition;
        r.offset = offset;
        return from_record(std::move(r));
    }
    /// Parse the envelope now rather than on first use (as fanoutd's parse-ahead
    /// does); false when the value is not a JSON object.
    bool parse_envelope() const { return parsed(); }
    /// Calls made on data(): lets a test check that a plugin did not read the
    /// data it did not need.
    int data_reads() const noexcept { return data_reads_; }

    std::string_view topic() const override { return record_.topic; }
    std::int32_t partition() const override { return record_.partition; }
    std::int64_t offset() const override { return record_.offset; }
    std::string_view key() const override { return record_.key; }
    std::span<const Header> headers() const override { return headers_; }
    std::optional<std::string_view> header(std::string_view name) const override {
        std::optional<std::string_view> found;
        for (const Header& h : headers_) {
            if (h.name == name) found = h.value;  // last one wins, as in Kafka clients
        }
        return found;
    }
    std::string_view payload() const override { return record_.payload; }
    std::int64_t record_timestamp_ms() const override { return record_.record_timestamp_ms; }

    bool envelope_valid() const override {
        return parsed() && data_valid_ && !envelope_string("type").empty() && !envelope_string("aggregateId").empty() &&
               envelope_integer("version") > 0;
    }
    std::string_view event_id() const override {
        if (auto h = header("event-id"); h && !h->empty()) return *h;
        return envelope_string("eventId");
    }
    std::string_view type() const override {
        // fanoutd reads the type from the value's first bytes when it follows
        // the documented order, then from the header, then from the envelope.
        const std::string_view text = record_.payload;
        if (const auto leading = support::leading_type(text)) return *leading;
        if (!text.empty()) {
            if (auto h = header("event-type"); h && !h->empty()) return *h;
        }
        return envelope_string("type");
    }
    std::string_view aggregate_id() const override {
        const std::string_view id = envelope_string("aggregateId");
        return id.empty() ? key() : id;
    }
    std::int64_t version() const override { return envelope_integer("version"); }
    std::int64_t global_sequence() const override { return envelope_integer("globalSequence"); }
    std::string_view occurred_at() const override { return envelope_string("occurredAt"); }
    std::int64_t occurred_at_ms() const override { return parse_rfc3339_ms(occurred_at()); }
    const DataView& data() const override { return *this; }

protected:
    // A tag, so that `FakeEvent({.offset = 1})` means an EventSpec.
    struct RecordTag {};
    FakeEvent(RecordSpec record, RecordTag) : record_(std::move(record)) { index_headers(); }

private:
    static RecordSpec to_record(EventSpec spec) {
        if (spec.event_id.empty()) {
            spec.event_id =
                detail::uuid_from(spec.aggregate_id + '\n' + std::to_string(spec.version) + '\n' + spec.type);
        }
        RecordSpec r;
        r.payload = envelope_json(spec, spec.event_id);
        r.topic = std::move(spec.topic);
        r.partition = spec.partition;
        r.offset = spec.offset;
        r.key = spec.key.empty() ? spec.aggregate_id : std::move(spec.key);
        if (spec.standard_headers) {
            r.headers = {{"event-type", spec.type}, {"event-id", spec.event_id}, {"content-type", "application/json"}};
        }
        for (auto& h : spec.headers) r.headers.push_back(std::move(h));
        r.record_timestamp_ms = spec.record_timestamp_ms;
        return r;
    }

    void index_headers() {
        headers_.clear();
        for (const auto& [name, value] : record_.headers) headers_.push_back({name, value});
    }
    void copied_from(const FakeEvent& other) {
        index_headers();
        state_ = State::unparsed;
        data_valid_ = false;
        data_raw_ = {};
        root_.clear();
        data_.clear();
        strings_.clear();
        data_reads_ = 0;
        if (other.state_ != State::unparsed) (void)parsed();
    }

    bool parsed() const {
        if (state_ == State::unparsed) {
            detail::JsonReader reader;
            bool finite = true;
            std::vector<detail::JsonMember> data;
            const bool ok = reader.read(record_.payload, strings_, &root_, "data", &data, &finite);
            state_ = ok ? State::parsed : State::failed;
            if (ok) {
                const auto* d = member(root_, "data");
                data_valid_ = d != nullptr && d->kind == detail::JsonKind::object && finite;
                if (data_valid_) {
                    data_ = std::move(data);
                    data_raw_ = d->raw;
                }
            } else {
                root_.clear();
            }
        }
        return state_ == State::parsed;
    }
    static const detail::JsonValue* member(const std::vector<detail::JsonMember>& members, std::string_view name) {
        const auto it = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.name == name; });
        return it == members.end() ? nullptr : &it->value;
    }
    std::string_view envelope_string(std::string_view field) const {
        if (!parsed()) return {};
        const auto* v = member(root_, field);
        return v != nullptr && v->kind == detail::JsonKind::string ? v->string : std::string_view{};
    }
    std::int64_t envelope_integer(std::string_view field) const {
        if (!parsed()) return 0;
        const auto* v = member(root_, field);
        return v != nullptr && v->kind == detail::JsonKind::integer ? v->integer : 0;
    }
    const detail::JsonValue* data_field(std::string_view field) const {
        ++data_reads_;
        if (!parsed() || !data_valid_) return nullptr;
        return member(data_, field);
    }

    // DataView
    bool valid() const override {
        ++data_reads_;
        return parsed() && data_valid_;
    }
    bool has(std::string_view field) const override { return data_field(field) != nullptr; }
    std::optional<std::string_view> string(std::string_view field) const override {
        const auto* v = data_field(field);
        if (v == nullptr || v->kind != detail::JsonKind::string) return std::nullopt;
        return v->string;
    }
    std::optional<std::int64_t> integer(std::string_view field) const override {
        const auto* v = data_field(field);
        if (v == nullptr || v->kind != detail::JsonKind::integer) return std::nullopt;
        return v->integer;
    }
    std::optional<double> number(std::string_view field) const override {
        const auto* v = data_field(field);
        if (v == nullptr) return std::nullopt;
        switch (v->kind) {
            case detail::JsonKind::integer:
            case detail::JsonKind::unsigned_integer:
            case detail::JsonKind::number: return v->number;
            default: return std::nullopt;
        }
    }
    std::optional<bool> boolean(std::string_view field) const override {
        const auto* v = data_field(field);
        if (v == nullptr || v->kind != detail::JsonKind::boolean) return std::nullopt;
        return v->boolean;
    }
    std::string json() const override {
        ++data_reads_;
        if (!parsed() || !data_valid_) return "{}";
        return detail::JsonReader::compact(data_raw_);
    }

    enum class State : std::uint8_t { unparsed, parsed, failed };

    RecordSpec record_;
    std::vector<Header> headers_;
    mutable State state_ = State::unparsed;
    mutable bool data_valid_ = false;
    mutable std::vector<detail::JsonMember> root_;
    mutable std::vector<detail::JsonMember> data_;
    mutable std::string_view data_raw_;
    mutable std::forward_list<std::string> strings_;  // decoded strings that had escapes
    mutable int data_reads_ = 0;
};

/// Pointers for Plugin::handle().
inline std::vector<const Event*> pointers(std::span<const FakeEvent> events) {
    std::vector<const Event*> out;
    out.reserve(events.size());
    for (const FakeEvent& e : events) out.push_back(&e);
    return out;
}

}  // namespace fanout::testing
