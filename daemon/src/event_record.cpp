#include "event_record.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fanout/support/leading_type.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::daemon {
namespace {

/// JSON allows numbers a double cannot hold (`1e400`); the parser reads them
/// as infinity, which no JSON writer can give back. Data holding one is not
/// valid event data (docs/events.md), so the record is refused whole instead
/// of reaching a plugin as text that is no longer JSON.
template <class Value>
bool all_numbers_finite(const Value& root) {
    std::vector<const Value*> pending{&root};
    while (!pending.empty()) {
        const Value* v = pending.back();
        pending.pop_back();
        if (v->IsObject()) {
            for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
                if (m->value.IsObject() || m->value.IsArray()) pending.push_back(&m->value);
                else if (m->value.IsDouble() && !std::isfinite(m->value.GetDouble())) return false;
            }
        } else if (v->IsArray()) {
            for (const auto& e : v->GetArray()) {
                if (e.IsObject() || e.IsArray()) pending.push_back(&e);
                else if (e.IsDouble() && !std::isfinite(e.GetDouble())) return false;
            }
        }
    }
    return true;
}

}  // namespace

EventRecord::EventRecord(KafkaMessage message, JsonArena* arena) : message_(std::move(message)), arena_(arena) {
    if (message_->rkt != nullptr) topic_ = rd_kafka_topic_name(message_->rkt);
}

std::string_view EventRecord::key() const {
    if (message_->key == nullptr) return {};
    return {static_cast<const char*>(message_->key), message_->key_len};
}

std::string_view EventRecord::payload() const {
    if (message_->payload == nullptr) return {};
    return {static_cast<const char*>(message_->payload), message_->len};
}

std::int64_t EventRecord::record_timestamp_ms() const {
    rd_kafka_timestamp_type_t type;
    return rd_kafka_message_timestamp(message_.get(), &type);
}

std::span<const Header> EventRecord::headers() const {
    if (!headers_) {
        headers_.emplace();
        rd_kafka_headers_t* hdrs = nullptr;
        // The headers stay owned by the message.
        if (rd_kafka_message_headers(message_.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs != nullptr) {
            const char* name;
            const void* value;
            size_t size;
            for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
                headers_->push_back({name, value ? std::string_view(static_cast<const char*>(value), size) : std::string_view{}});
            }
        }
    }
    return *headers_;
}

std::optional<std::string_view> EventRecord::header(std::string_view name) const {
    std::optional<std::string_view> found;
    for (const Header& h : headers()) {
        if (h.name == name) found = h.value;  // last one wins, as in Kafka clients
    }
    return found;
}

const EventRecord::Document* EventRecord::parsed() const {
    if (document_) return &*document_;
    if (parse_failed_) return nullptr;
    JsonArena* arena = arena_;
    if (arena == nullptr) {
        own_arena_ = std::make_unique<JsonArena>(4096);
        arena = own_arena_.get();
    }
    document_.emplace(arena);
    // Parsed in place from a copy in the arena: the DOM's strings point into
    // the copy instead of being copied one by one. A NUL byte is never valid
    // JSON; it would end the copy's text early, so it fails here.
    const std::string_view text = payload();
    const bool has_nul = !text.empty() && std::memchr(text.data(), 0, text.size()) != nullptr;
    if (!has_nul) {
        auto* copy = static_cast<char*>(arena->Malloc(text.size() + 1));
        if (!text.empty()) std::memcpy(copy, text.data(), text.size());
        copy[text.size()] = '\0';
        document_->ParseInsitu(copy);
    }
    if (has_nul || document_->HasParseError() || !document_->IsObject()) {
        document_.reset();
        parse_failed_ = true;
        return nullptr;
    }
    const auto data = document_->FindMember(envelope::data);
    if (data != document_->MemberEnd() && data->value.IsObject() && all_numbers_finite(data->value)) data_ = &data->value;
    return &*document_;
}

std::string_view EventRecord::envelope_string(const char* field) const {
    const Document* doc = parsed();
    if (doc == nullptr) return {};
    auto it = doc->FindMember(field);
    if (it == doc->MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

std::int64_t EventRecord::envelope_integer(const char* field) const {
    const Document* doc = parsed();
    if (doc == nullptr) return 0;
    auto it = doc->FindMember(field);
    if (it == doc->MemberEnd() || !it->value.IsInt64()) return 0;
    return it->value.GetInt64();
}

bool EventRecord::envelope_valid() const {
    if (parsed() == nullptr) return false;
    return data_ != nullptr && !envelope_string(envelope::type).empty() &&
           !envelope_string(envelope::aggregate_id).empty() && envelope_integer(envelope::version) > 0;
}

std::string_view EventRecord::event_id() const {
    if (auto h = header(envelope::header_id); h && !h->empty()) return *h;
    return envelope_string(envelope::event_id);
}

std::string_view EventRecord::type() const {
    // Publishers following docs/events.md write `type` right after
    // `eventId`: read it there without parsing the headers (librdkafka
    // allocates for that) or the JSON. The contract makes both equal.
    if (const auto leading = support::leading_type(payload())) return *leading;
    // Then the header: filtering by type must not cost a JSON parse.
    if (message_->len > 0) {
        rd_kafka_headers_t* hdrs = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        if (rd_kafka_message_headers(message_.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(hdrs, envelope::header_type, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            value != nullptr && size > 0) {
            return {static_cast<const char*>(value), size};
        }
    }
    return envelope_string(envelope::type);
}

std::string_view EventRecord::aggregate_id() const {
    std::string_view id = envelope_string(envelope::aggregate_id);
    return id.empty() ? key() : id;
}

std::int64_t EventRecord::version() const { return envelope_integer(envelope::version); }
std::int64_t EventRecord::global_sequence() const { return envelope_integer(envelope::global_sequence); }
std::string_view EventRecord::occurred_at() const { return envelope_string(envelope::occurred_at); }
std::int64_t EventRecord::occurred_at_ms() const { return parse_rfc3339_ms(occurred_at()); }

const EventRecord::Value* EventRecord::data_field(std::string_view field) const {
    if (parsed() == nullptr || data_ == nullptr) return nullptr;
    auto it = data_->FindMember(Value(rapidjson::StringRef(field.data(), field.size())));
    return it == data_->MemberEnd() ? nullptr : &it->value;
}

bool EventRecord::valid() const { return parsed() != nullptr && data_ != nullptr; }

bool EventRecord::has(std::string_view field) const { return data_field(field) != nullptr; }

std::optional<std::string_view> EventRecord::string(std::string_view field) const {
    const Value* v = data_field(field);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> EventRecord::integer(std::string_view field) const {
    const Value* v = data_field(field);
    if (v == nullptr || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

std::optional<double> EventRecord::number(std::string_view field) const {
    const Value* v = data_field(field);
    if (v == nullptr || !v->IsNumber()) return std::nullopt;
    return v->GetDouble();
}

std::optional<bool> EventRecord::boolean(std::string_view field) const {
    const Value* v = data_field(field);
    if (v == nullptr || !v->IsBool()) return std::nullopt;
    return v->GetBool();
}

std::string EventRecord::json() const {
    if (parsed() == nullptr || data_ == nullptr) return "{}";
    fanout::common::JsonBuffer buffer;
    fanout::common::JsonWriter writer(buffer);
    data_->Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace fanout::daemon
