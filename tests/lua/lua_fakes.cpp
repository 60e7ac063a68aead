#include "lua_fakes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include "lua/lua_json.hpp"

namespace fanout::test {

FakeEvent::FakeEvent(Fields fields) : f_(std::move(fields)) {
    for (const auto& [name, value] : f_.headers) headers_.push_back({name, value});
    payload_ = "{\"eventId\":\"" + f_.event_id + "\",\"type\":\"" + f_.type + "\",\"aggregateId\":\"" +
               f_.aggregate_id + "\",\"version\":" + std::to_string(f_.version) + ",\"data\":" + f_.data + "}";
}

std::optional<std::string_view> FakeEvent::header(std::string_view name) const {
    for (const auto& h : headers_) {
        if (h.name == name) return h.value;
    }
    return std::nullopt;
}

const rapidjson::Value* FakeEvent::field(std::string_view name) const {
    ++data_reads_;
    if (!doc_) {
        doc_.emplace();
        doc_->Parse(f_.data.c_str());
    }
    if (doc_->HasParseError() || !doc_->IsObject()) return nullptr;
    auto it = doc_->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    return it == doc_->MemberEnd() ? nullptr : &it->value;
}

bool FakeEvent::valid() const { return true; }
bool FakeEvent::has(std::string_view f) const { return field(f) != nullptr; }

std::optional<std::string_view> FakeEvent::string(std::string_view f) const {
    const auto* v = field(f);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> FakeEvent::integer(std::string_view f) const {
    const auto* v = field(f);
    if (v == nullptr || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

std::optional<double> FakeEvent::number(std::string_view f) const {
    const auto* v = field(f);
    if (v == nullptr || !v->IsNumber()) return std::nullopt;
    return v->GetDouble();
}

std::optional<bool> FakeEvent::boolean(std::string_view f) const {
    const auto* v = field(f);
    if (v == nullptr || !v->IsBool()) return std::nullopt;
    return v->GetBool();
}

std::string FakeEvent::json() const {
    ++data_reads_;
    rapidjson::Document doc;
    doc.Parse(f_.data.c_str());
    if (doc.HasParseError()) return "{}";
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

void RecordingLogger::log(LogLevel level, std::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(level, std::string(message));
}

std::vector<std::pair<LogLevel, std::string>> RecordingLogger::lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

bool RecordingLogger::contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& [level, line] : lines_) {
        if (line.find(text) != std::string::npos) return true;
    }
    return false;
}

Counter& FakeContext::counter(std::string_view name) {
    auto& slot = counters_[std::string(name)];
    if (!slot) slot = std::make_unique<FakeCounter>();
    return *slot;
}

Gauge& FakeContext::gauge(std::string_view name) {
    auto& slot = gauges_[std::string(name)];
    if (!slot) slot = std::make_unique<FakeGauge>();
    return *slot;
}

std::optional<std::uint64_t> FakeContext::counter_value(const std::string& name) const {
    auto it = counters_.find(name);
    if (it == counters_.end()) return std::nullopt;
    return it->second->value();
}

std::optional<double> FakeContext::gauge_value(const std::string& name) const {
    auto it = gauges_.find(name);
    if (it == gauges_.end()) return std::nullopt;
    return it->second->value();
}

std::string SentRecord::header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
        if (n == name) return v;
    }
    return {};
}

std::string FakeEmitter::send(std::string_view topic, std::string_view key, std::string_view value,
                              const Headers& headers) {
    if (!log_->fail_with.empty()) return log_->fail_with;
    log_->sent.push_back({std::string(topic), std::string(key), std::string(value), headers});
    return {};
}

ScriptHarness::ScriptHarness(const std::string& source, const std::string& options_yaml,
                             daemon::lua::LuaLimits limits) {
    const rapidjson::Document options = daemon::lua::yaml_to_json(YAML::Load(options_yaml));
    plugin = std::make_unique<daemon::lua::LuaPlugin>(daemon::lua::LuaScript{"test.lua", source}, options, limits,
                                                      context, std::make_unique<FakeEmitter>(emits));
}

std::vector<Outcome> ScriptHarness::run(const std::vector<FakeEvent>& events) {
    std::vector<const Event*> pointers;
    for (const auto& e : events) pointers.push_back(&e);
    std::vector<Outcome> outcomes(events.size());
    plugin->handle(pointers, outcomes);
    return outcomes;
}

Outcome ScriptHarness::run_one(const FakeEvent& event) {
    const Event* pointer = &event;
    std::vector<Outcome> outcomes(1);
    plugin->handle(std::span<const Event* const>(&pointer, 1), outcomes);
    return outcomes[0];
}

FakeEvent make_event(std::int64_t offset, std::string type, std::string data) {
    FakeEvent::Fields f;
    f.offset = offset;
    f.type = std::move(type);
    f.data = std::move(data);
    f.headers = {{"event-type", f.type}, {"event-id", f.event_id}};
    return FakeEvent(std::move(f));
}

}  // namespace fanout::test
