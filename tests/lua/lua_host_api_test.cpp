// The `fanout` table: logging, metrics, emit, json, time.
#include <gtest/gtest.h>

#include <chrono>

#include "lua_fakes.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

TEST(LuaHostApi, LogLevelsReachTheLogger) {
    ScriptHarness h(R"lua(
        function on_event(e)
          fanout.log.debug("d", 1)
          fanout.log.info("i")
          fanout.log.warn("w")
          fanout.log.error("e", nil, {1} ~= nil)
        end
    )lua");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    const auto lines = h.context.log().lines();
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], (LogLine{LogLevel::debug, "d 1"}));
    EXPECT_EQ(lines[1], (LogLine{LogLevel::info, "i"}));
    EXPECT_EQ(lines[2], (LogLine{LogLevel::warning, "w"}));
    EXPECT_EQ(lines[3], (LogLine{LogLevel::error, "e nil true"}));
}

TEST(LuaHostApi, CountersAndGaugesReachTheContext) {
    ScriptHarness h(R"lua(
        function on_event(e)
          fanout.counter("events")
          fanout.counter("likes", 5)
          fanout.counter("by author/" .. e.data.author)
          fanout.gauge("last_offset", e.offset)
        end
    )lua");
    h.run({make_event(0), make_event(7)});
    EXPECT_EQ(h.context.counter_value("events"), 2u);
    EXPECT_EQ(h.context.counter_value("likes"), 10u);
    EXPECT_EQ(h.context.counter_value("by_author_alice"), 2u) << "names sanitised for export";
    EXPECT_EQ(h.context.gauge_value("last_offset"), 7.0);
}

TEST(LuaHostApi, CounterArgumentsAreChecked) {
    ScriptHarness h("function on_event(e) fanout.counter('x', -1) end");
    EXPECT_NE(h.run_one(make_event(0)).reason().find("counters only go up"), std::string::npos);
}

TEST(LuaHostApi, MetricNamesAreBounded) {
    ScriptHarness h("function on_event(e) for i = 1, 2000 do fanout.counter('c' .. i) end end");
    EXPECT_TRUE(fails_with(h.run_one(make_event(0)), "too many distinct metric names"));
}

TEST(LuaHostApi, EmitIsSentAfterTheEventIsDone) {
    ScriptHarness h(R"lua(
        function on_event(e)
          fanout.emit("derived", e.key, { kind = "Seen", offset = e.offset }, { ["event-type"] = "Seen" })
          if e.offset == 1 then error("fails after emitting") end
          if e.offset == 2 then fanout.reject("rejected after emitting") end
        end
    )lua");
    const auto outcomes = h.run({make_event(0), make_event(1), make_event(2), make_event(3)});
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::failed);
    EXPECT_EQ(outcomes[2].kind(), Outcome::Kind::reject);
    EXPECT_TRUE(outcomes[3].is_done());
    ASSERT_EQ(h.emits->sent.size(), 2u) << "only the done events' emits";
    const SentRecord& first = h.emits->sent[0];
    EXPECT_EQ(first.topic, "derived");
    EXPECT_EQ(first.key, "post-1");
    EXPECT_TRUE(first.value == R"({"kind":"Seen","offset":0})" || first.value == R"({"offset":0,"kind":"Seen"})")
        << first.value;
    EXPECT_EQ(first.header("event-type"), "Seen");
    EXPECT_EQ(first.header("fanout.plugin"), "script");
    EXPECT_EQ(first.header("fanout.source.topic"), "posts");
    EXPECT_EQ(first.header("fanout.source.offset"), "0");
    EXPECT_EQ(first.header("fanout.source.event-id"), "11111111-2222-4333-8444-555555555555");
    EXPECT_EQ(h.emits->sent[1].header("fanout.source.offset"), "3");
}

TEST(LuaHostApi, FailedEmitTurnsTheEventIntoRetryLater) {
    ScriptHarness h("function on_event(e) if e.offset ~= 0 then fanout.emit('derived', e.key, 'v') end end");
    h.emits->fail_with = "Broker: topic authorization failed";
    const auto outcomes = h.run({make_event(0), make_event(1), make_event(2)});
    EXPECT_TRUE(outcomes[0].is_done()) << "emitted nothing";
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::retry_later);
    EXPECT_EQ(outcomes[1].reason(), "fanout.emit to 'derived' failed: Broker: topic authorization failed");
    EXPECT_EQ(outcomes[2].kind(), Outcome::Kind::retry_later);
}

TEST(LuaHostApi, EmitInOnBatchBelongsToTheBatchOrToOneEvent) {
    ScriptHarness h(R"lua(
        function on_batch(events)
          fanout.emit("summary", "batch", tostring(#events))
          for _, e in ipairs(events) do
            if e.offset == 1 then e:reject("no") end
            e:emit("per-event", e.key, tostring(e.offset))
          end
        end
    )lua");
    h.run({make_event(0), make_event(1), make_event(2)});
    std::vector<std::string> values;
    for (const auto& r : h.emits->sent) values.push_back(r.topic + "=" + r.value);
    EXPECT_EQ(values, (std::vector<std::string>{"summary=3", "per-event=0", "per-event=2"}));
    EXPECT_EQ(h.emits->sent[0].header("fanout.source.offset"), "") << "a batch emit has no single source";
}

TEST(LuaHostApi, EmitOutsideEventHandlingIsAnError) {
    EXPECT_THROW(ScriptHarness("function init() fanout.emit('t', 'k', 'v') end function on_event(e) end"),
                 std::runtime_error);
}

TEST(LuaHostApi, EmitArgumentsAreChecked) {
    ScriptHarness h(with_fails(R"lua(
        function on_event(e)
          fails(function() fanout.emit("", "k", "v") end, "empty topic")
          fails(function() fanout.emit("t", "k", 5) end, "string or table expected")
          fails(function() fanout.emit("t", "k", "v", { a = 1 }) end, "headers must map strings to strings")
          fails(function() fanout.emit("t", "k", { f = print }) end, "cannot encode a function value")
        end
    )lua"));
    EXPECT_TRUE(done(h.run_one(make_event(0))));
    EXPECT_TRUE(h.emits->sent.empty());
}

TEST(LuaHostApi, JsonRoundTrip) {
    ScriptHarness h(R"lua(
        local function same(a, b)
          if type(a) ~= type(b) then return false end
          if type(a) ~= "table" then return a == b end
          for k, v in pairs(a) do if not same(v, b[k]) then return false end end
          for k in pairs(b) do if a[k] == nil then return false end end
          return true
        end
        function on_event(e)
          local value = {
            text = "quote \" backslash \\ newline \n tab \t unicode é ✓ \1",
            int = 9007199254740993, neg = -3, float = 0.1, big = 1e300, yes = true, no = false,
            list = { 1, "two", { three = 3 }, { 4 } },
            empty = {},
            null = fanout.json.null,
            nested = { a = { b = { c = { "deep" } } } },
          }
          local text = fanout.json.encode(value)
          local back = fanout.json.decode(text)
          assert(same(value, back), text)
          assert(math.type(back.int) == "integer" and back.int == 9007199254740993)
          assert(math.type(back.float) == "float")
          assert(back.null == fanout.json.null)
          assert(same(back, fanout.json.decode(fanout.json.encode(back))))
          assert(fanout.json.encode({ 1, 2, 3 }) == "[1,2,3]")
          assert(fanout.json.encode({}) == "{}")
          assert(fanout.json.encode("x") == '"x"')
          assert(fanout.json.encode(e.data) == '{"author":"alice","message":"hi"}')
          assert(fanout.json.decode('"\\u00e9"') == "é")
          assert(fanout.json.decode("[1, 2.5, null]")[3] == fanout.json.null)
        end
    )lua");
    EXPECT_TRUE(done(h.run_one(make_event(0))));
}

TEST(LuaHostApi, JsonErrorsAreClear) {
    ScriptHarness h(with_fails(R"lua(
        function on_event(e)
          fails(function() fanout.json.decode("{nope") end, "fanout.json.decode: invalid JSON at offset 1")
          fails(function() fanout.json.encode({ f = function() end }) end, "cannot encode a function value")
          fails(function() fanout.json.encode(0/0) end, "cannot encode NaN or infinity")
          local cycle = {}
          cycle.self = cycle
          fails(function() fanout.json.encode(cycle) end, "nested deeper than 100 levels")
          fails(function() fanout.json.decode(string.rep("[", 1000) .. string.rep("]", 1000)) end,
                "JSON nested deeper than 100 levels")
        end
    )lua"));
    EXPECT_TRUE(done(h.run_one(make_event(0))));
}

TEST(LuaHostApi, TimeIsTheWallClock) {
    ScriptHarness h(R"lua(
        function on_event(e)
          local now = fanout.time()
          local ms = fanout.now_ms()
          assert(math.type(ms) == "integer")
          assert(math.abs(now * 1000 - ms) < 5000)
          fanout.gauge("now_ms", ms)
        end
    )lua");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    EXPECT_NEAR(*h.context.gauge_value("now_ms"), static_cast<double>(now), 5000.0);
}

TEST(LuaHostApi, PluginNameIsVisible) {
    ScriptHarness h("function on_event(e) fanout.log.info(fanout.plugin) end");
    h.run_one(make_event(0));
    EXPECT_TRUE(h.context.log().contains("script"));
}

}  // namespace
