#pragma once
// Stand-ins for what the host gives a LuaPlugin, for tests without Kafka.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "fanout/testing.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_plugin.hpp"

namespace fanout::test {

using testing::FakeContext;
using testing::FakeEvent;
using testing::LogLine;

/// The fields of the events these tests make: fanout::testing's defaults on
/// the `posts` topic, with a fixed event id.
struct EventFields : testing::EventSpec {
    EventFields() {
        topic = "posts";
        event_id = "11111111-2222-4333-8444-555555555555";
    }
};

struct SentRecord {
    std::string topic, key, value;
    daemon::lua::Emitter::Headers headers;
    std::string header(const std::string& name) const;
};

/// Records what fanout.emit sends; fails every send while `fail_with` is set.
struct EmitLog {
    std::vector<SentRecord> sent;
    std::string fail_with;
};

class FakeEmitter final : public daemon::lua::Emitter {
public:
    explicit FakeEmitter(std::shared_ptr<EmitLog> log) : log_(std::move(log)) {}
    std::string send(std::string_view topic, std::string_view key, std::string_view value,
                     const Headers& headers) override;

private:
    std::shared_ptr<EmitLog> log_;
};

/// A LuaPlugin over a script text, with fakes around it.
struct ScriptHarness {
    explicit ScriptHarness(const std::string& source, const std::string& options_yaml = "{}",
                           daemon::lua::LuaLimits limits = {});

    /// handle() over `events`; returns the outcomes.
    std::vector<Outcome> run(const std::vector<FakeEvent>& events);
    Outcome run_one(const FakeEvent& event);

    FakeContext context{"script"};
    std::shared_ptr<EmitLog> emits = std::make_shared<EmitLog>();
    std::unique_ptr<daemon::lua::LuaPlugin> plugin;
};

/// A PostCreatedEvent at `offset` with the given data and type.
FakeEvent make_event(std::int64_t offset, std::string type = "PostCreatedEvent",
                     std::string data = R"({"author":"alice","message":"hi"})");

/// `outcome` is done; its reason when not.
inline ::testing::AssertionResult done(const Outcome& outcome) {
    if (outcome.is_done()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "not done: " << outcome.reason();
}

/// `outcome` is failed (a script error) with a reason containing `text`.
inline ::testing::AssertionResult fails_with(const Outcome& outcome, const std::string& text) {
    if (outcome.kind() == Outcome::Kind::failed && outcome.reason().find(text) != std::string::npos) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected failed with \"" << text << "\", got "
                                         << fanout::to_string(outcome.kind()) << ": " << outcome.reason();
}

/// `source` with a Lua `fails(f, text)` in scope: asserts that calling f
/// raises an error containing `text`.
inline std::string with_fails(const std::string& source) {
    return "local function fails(f, text) local ok, err = pcall(f) "
           "assert(not ok and err:find(text, 1, true), tostring(err)) end\n" +
           source;
}

}  // namespace fanout::test
