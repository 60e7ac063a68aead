#include "fake_event.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fanout::test {

FakeEvent::FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
                     std::string key)
    : topic_(std::move(topic)),
      partition_(partition),
      offset_(offset),
      payload_(std::move(payload)),
      key_(std::move(key)) {
    parse();
}

FakeEvent::FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
                     std::string key, rapidjson::Document::AllocatorType& pool)
    : topic_(std::move(topic)),
      partition_(partition),
      offset_(offset),
      payload_(std::move(payload)),
      key_(std::move(key)),
      document_(&pool) {
    parse();
}

FakeEvent::FakeEvent(const FakeEvent& other)
    : FakeEvent(other.topic_, other.partition_, other.offset_, other.payload_, other.key_) {}

void FakeEvent::parse() {
    document_.Parse(payload_.data(), payload_.size());
    parsed_ = !document_.HasParseError() && document_.IsObject();
}

std::string_view FakeEvent::envelope_string(const char* field) const {
    if (!parsed_) return {};
    auto it = document_.FindMember(field);
    if (it == document_.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

std::int64_t FakeEvent::envelope_integer(const char* field) const {
    if (!parsed_) return 0;
    auto it = document_.FindMember(field);
    if (it == document_.MemberEnd() || !it->value.IsInt64()) return 0;
    return it->value.GetInt64();
}

bool FakeEvent::envelope_valid() const {
    return valid() && !type().empty() && !aggregate_id().empty() && version() > 0;
}

bool FakeEvent::valid() const {
    if (!parsed_) return false;
    auto data = document_.FindMember("data");
    return data != document_.MemberEnd() && data->value.IsObject();
}

const rapidjson::Value* FakeEvent::data_field(std::string_view field) const {
    if (!valid()) return nullptr;
    const rapidjson::Value& data = document_["data"];
    auto it = data.FindMember(rapidjson::Value(rapidjson::StringRef(field.data(), field.size())));
    return it == data.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string_view> FakeEvent::string(std::string_view field) const {
    const rapidjson::Value* v = data_field(field);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> FakeEvent::integer(std::string_view field) const {
    const rapidjson::Value* v = data_field(field);
    if (v == nullptr || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

std::optional<double> FakeEvent::number(std::string_view field) const {
    const rapidjson::Value* v = data_field(field);
    if (v == nullptr || !v->IsNumber()) return std::nullopt;
    return v->GetDouble();
}

std::optional<bool> FakeEvent::boolean(std::string_view field) const {
    const rapidjson::Value* v = data_field(field);
    if (v == nullptr || !v->IsBool()) return std::nullopt;
    return v->GetBool();
}

std::string FakeEvent::json() const {
    if (!valid()) return "{}";
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    document_["data"].Accept(writer);
    return buffer.GetString();
}

std::vector<const Event*> pointers(const std::vector<FakeEvent>& events) {
    std::vector<const Event*> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(&e);
    return out;
}

}  // namespace fanout::test
