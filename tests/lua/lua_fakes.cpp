#include "lua_fakes.hpp"

#include <yaml-cpp/yaml.h>

#include "lua/lua_json.hpp"

namespace fanout::test {

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
    EventFields f;
    f.offset = offset;
    f.type = std::move(type);
    f.data = std::move(data);
    return FakeEvent(std::move(f));
}

}  // namespace fanout::test
