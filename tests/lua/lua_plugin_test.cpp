// The script API as a script sees it: outcomes, the event object, init and
// on_shutdown, on_batch.
#include <gtest/gtest.h>

#include "lua_fakes.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

TEST(LuaPluginOutcomes, ReturningNormallyIsDone) {
    ScriptHarness h("function on_event(event) end");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
}

TEST(LuaPluginOutcomes, RaisingFailsTheEventWithTheMessage) {
    ScriptHarness h("function on_event(event)\n  error('database said no')\nend\n");
    const Outcome o = h.run_one(make_event(0));
    EXPECT_EQ(o.kind(), Outcome::Kind::failed);
    EXPECT_EQ(o.reason(), "test.lua:2: database said no");
    EXPECT_EQ(h.context.counter_value("script_errors"), 1u);
}

TEST(LuaPluginOutcomes, RaisingATableGivesADescription) {
    ScriptHarness h("function on_event(event) error({code = 1}) end");
    EXPECT_EQ(h.run_one(make_event(0)).reason(), "error object is a table value");
}

TEST(LuaPluginOutcomes, RejectGivesRejectAndEndsTheCall) {
    ScriptHarness h(R"lua(
        function on_event(event)
          if not event.data.author then fanout.reject("no author") end
          fanout.counter("counted")
        end
    )lua");
    const auto outcomes = h.run({make_event(0, "PostCreatedEvent", "{}"), make_event(1)});
    EXPECT_EQ(outcomes[0].kind(), Outcome::Kind::reject);
    EXPECT_EQ(outcomes[0].reason(), "no author");
    EXPECT_TRUE(outcomes[1].is_done());
    EXPECT_EQ(h.context.counter_value("counted"), 1u);
    EXPECT_EQ(h.context.counter_value("script_errors").value_or(0), 0u);
}

TEST(LuaPluginOutcomes, RejectCaughtByPcallStillRejects) {
    ScriptHarness h("function on_event(event) pcall(fanout.reject, 'caught') end");
    const Outcome o = h.run_one(make_event(0));
    EXPECT_EQ(o.kind(), Outcome::Kind::reject);
    EXPECT_EQ(o.reason(), "caught");
}

TEST(LuaPluginOutcomes, EventMethodsSetOutcomesWithoutEndingTheCall) {
    ScriptHarness h(R"lua(
        function on_event(event)
          if event.offset == 0 then event:reject("bad payload") end
          if event.offset == 1 then event:retry("later please") end
          fanout.counter("seen")
        end
    )lua");
    const auto outcomes = h.run({make_event(0), make_event(1), make_event(2)});
    EXPECT_EQ(outcomes[0].kind(), Outcome::Kind::reject);
    EXPECT_EQ(outcomes[0].reason(), "bad payload");
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::retry_later);
    EXPECT_EQ(outcomes[1].reason(), "later please");
    EXPECT_TRUE(outcomes[2].is_done());
    EXPECT_EQ(h.context.counter_value("seen"), 3u);
}

TEST(LuaPluginBatch, OnBatchIsPreferredAndSeesTheWholeBatch) {
    ScriptHarness h(R"lua(
        function on_event(event) error("on_event must not be called") end
        function on_batch(events)
          fanout.gauge("batch_size", #events)
          for i, event in ipairs(events) do
            if event.data.author == "mallory" then event:reject("spam") end
          end
        end
    )lua");
    EXPECT_TRUE(h.plugin->batched());
    const auto outcomes =
        h.run({make_event(0), make_event(1, "PostCreatedEvent", R"({"author":"mallory"})"), make_event(2)});
    EXPECT_EQ(h.context.gauge_value("batch_size"), 3.0);
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::reject);
    EXPECT_EQ(outcomes[1].reason(), "spam");
    EXPECT_TRUE(outcomes[2].is_done());
}

TEST(LuaPluginBatch, ARaisingBatchIsRetriedOneEventAtATimeToFindTheCulprit) {
    ScriptHarness h(R"lua(
        calls = 0
        function on_batch(events)
          calls = calls + 1
          fanout.gauge("calls", calls)
          for _, event in ipairs(events) do
            if event.type == "Poison" then error("cannot handle " .. event.offset) end
          end
        end
    )lua");
    const auto outcomes = h.run({make_event(0), make_event(1, "Poison"), make_event(2)});
    EXPECT_EQ(h.context.gauge_value("calls"), 4.0) << "one batch call, then one per event";
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::failed);
    EXPECT_NE(outcomes[1].reason().find("cannot handle 1"), std::string::npos) << outcomes[1].reason();
    EXPECT_TRUE(outcomes[2].is_done());
    EXPECT_TRUE(h.context.log().contains("on_batch failed on a batch of 3 events"));
}

TEST(LuaPluginBatch, FanoutRejectInOnBatchExplainsTheEventMethod) {
    ScriptHarness h("function on_batch(events) fanout.reject('x') end");
    EXPECT_TRUE(fails_with(h.run_one(make_event(0)), "call events[i]:reject(reason) instead"));
}

TEST(LuaPluginEvent, FieldsHaveTheEventsValues) {
    ScriptHarness h(R"lua(
        function on_event(e)
          local h = e.headers
          fanout.log.info(table.concat({
            e.type, e.aggregate_id, e.version, e.global_sequence, e.key, e.topic, e.partition, e.offset,
            e.timestamp, e.occurred_at, e.event_id, h["event-type"], tostring(e.missing), tostring(e)}, "|"))
        end
    )lua");
    EventFields f;
    f.topic = "post-events";
    f.partition = 3;
    f.offset = 42;
    f.key = "p-9";
    f.type = "PostLikedEvent";
    f.aggregate_id = "p-9";
    f.version = 7;
    f.global_sequence = 1234;
    f.headers = {{"event-type", "PostLikedEvent"}, {"event-type", "shadowed"}};
    EXPECT_TRUE(h.run_one(FakeEvent(f)).is_done());
    EXPECT_TRUE(h.context.log().contains(
        "PostLikedEvent|p-9|7|1234|p-9|post-events|3|42|1795341600123|2026-11-22T10:00:00.123Z|"
        "11111111-2222-4333-8444-555555555555|PostLikedEvent|nil|event(PostLikedEvent post-events[3]@42)"))
        << h.context.log().lines().back().message;
}

TEST(LuaPluginEvent, DataFieldsAreReadLazilyWithTheirJsonTypes) {
    ScriptHarness h(R"lua(
        function on_event(e)
          local d = e.data
          assert(d.author == "alice", "string")
          assert(d.likes == 12 and math.type(d.likes) == "integer", "integer")
          assert(d.score == 0.5, "number")
          assert(d.pinned == true, "boolean")
          assert(d.tags[1] == "a" and d.tags[2] == "b" and #d.tags == 2, "array")
          assert(d.place.city == "Oslo" and d.place.geo.lat == 59.9, "object")
          assert(d.gone == nil, "null")
          assert(d.absent == nil, "absent")
          assert(d[1] == nil, "non-string key")
          local keys = {}
          for k in pairs(d) do keys[#keys + 1] = k end
          table.sort(keys)
          assert(table.concat(keys, ",") == "author,gone,likes,pinned,place,score,tags", table.concat(keys, ","))
          assert(fanout.json.decode(e.data_json).likes == 12, "data_json")
          assert(fanout.json.decode(e.payload).data.author == "alice", "payload")
          assert(e.data == d, "the proxy is cached")
        end
    )lua");
    const std::string data = R"({"author":"alice","likes":12,"score":0.5,"pinned":true,"tags":["a","b"],)"
                             R"("place":{"city":"Oslo","geo":{"lat":59.9}},"gone":null})";
    EXPECT_TRUE(done(h.run_one(make_event(0, "PostCreatedEvent", data))));
}

TEST(LuaPluginEvent, DataIsNotParsedUnlessTouched) {
    ScriptHarness h("function on_event(e) fanout.counter(e.type) end");
    const FakeEvent event = make_event(0);
    EXPECT_TRUE(h.run_one(event).is_done());
    EXPECT_EQ(event.data_reads(), 0);
    EXPECT_EQ(h.context.counter_value("PostCreatedEvent"), 1u);
}

TEST(LuaPluginEvent, StaleEventRaisesAClearError) {
    ScriptHarness h(R"lua(
        function on_event(e)
          if saved then
            local ok, err = pcall(function() return saved.type end)
            assert(not ok)
            fanout.log.info(err)
            local ok2, err2 = pcall(function() return saved_data.author end)
            assert(not ok2)
            local ok3 = pcall(function() saved:reject("late") end)
            assert(not ok3)
            assert(tostring(saved) == "event (stale)")
          end
          saved = e
          saved_data = e.data
        end
    )lua");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    EXPECT_TRUE(done(h.run_one(make_event(1))));
    EXPECT_TRUE(h.context.log().contains("event used after the call it was passed to returned"));
}

TEST(LuaPluginEvent, StaleEventInOnBatchToo) {
    ScriptHarness h(R"lua(
        function on_batch(events)
          if kept then local x = kept.offset end
          kept = events[1]
        end
    )lua");
    EXPECT_TRUE(h.run({make_event(0)})[0].is_done());
    EXPECT_TRUE(fails_with(h.run_one(make_event(1)), "event used after"));
}

TEST(LuaPluginLifecycle, InitReceivesTheOptionsAsATable) {
    ScriptHarness h(R"lua(
        function init(options)
          assert(options.threshold == 10 and math.type(options.threshold) == "integer")
          assert(options.ratio == 0.25)
          assert(options.enabled == true)
          assert(options.quoted == "10")
          assert(options.name == "trending")
          assert(options.topics[1] == "a" and options.topics[2] == "b")
          assert(options.nested.depth == 2)
          configured = true
        end
        function on_event(e) assert(configured) end
    )lua",
                    "{threshold: 10, ratio: 0.25, enabled: true, quoted: '10', name: trending, topics: [a, b], "
                    "nested: {depth: 2}}");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
}

TEST(LuaPluginLifecycle, InitFailureFailsTheCreation) {
    try {
        ScriptHarness h("function init(o) error('need a threshold') end function on_event(e) end");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "init(options) failed: test.lua:1: need a threshold");
    }
}

TEST(LuaPluginLifecycle, OnShutdownRunsAtDestructionAndItsErrorsAreLogged) {
    auto h = std::make_unique<ScriptHarness>(R"lua(
        function on_event(e) end
        function on_shutdown() fanout.log.info("bye") error("late failure") end
    )lua");
    FakeContext& context = h->context;
    h->plugin.reset();
    EXPECT_TRUE(context.log().contains("bye"));
    EXPECT_TRUE(context.log().contains("on_shutdown() failed: test.lua:3: late failure"));
}

TEST(LuaPluginLifecycle, MissingEntryPointsAreAnError) {
    try {
        ScriptHarness h("function init() end");
        FAIL();
    } catch (const daemon::lua::LuaScriptError& e) {
        EXPECT_EQ(e.detail(), "the script defines neither on_event(event) nor on_batch(events)");
        EXPECT_EQ(e.line(), 0);
    }
    EXPECT_THROW(ScriptHarness("on_event = 5"), daemon::lua::LuaScriptError);
}

TEST(LuaPluginLifecycle, SyntaxErrorCarriesTheLine) {
    try {
        ScriptHarness h("function on_event(e)\n  local x = \nend\n");
        FAIL();
    } catch (const daemon::lua::LuaScriptError& e) {
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.detail(), "unexpected symbol near 'end'");
        EXPECT_STREQ(e.what(), "test.lua:3: unexpected symbol near 'end'");
    }
}

}  // namespace
