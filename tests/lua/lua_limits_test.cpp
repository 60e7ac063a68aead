// The memory cap and the instruction budget stop a runaway script: that
// event fails (retry_later), and the same state handles the next event.
#include <gtest/gtest.h>

#include <chrono>

#include "lua_fakes.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

constexpr daemon::lua::LuaLimits k_small{8u << 20, 1'000'000};

std::string script_with(const std::string& misbehaviour) {
    return "function on_event(event)\n"
           "  if event.type == 'Bad' then\n" +
           misbehaviour +
           "\n  end\n"
           "  local t = {}\n"
           "  for i = 1, 100 do t[i] = i end\n"
           "  fanout.counter('handled')\n"
           "end\n";
}

TEST(LuaLimits, InfiniteLoopIsStoppedByTheBudgetAndTheStateStaysUsable) {
    ScriptHarness h(script_with("while true do end"), "{}", k_small);
    const auto start = std::chrono::steady_clock::now();
    const Outcome o = h.run_one(make_event(0, "Bad"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(o.kind(), Outcome::Kind::retry_later);
    EXPECT_NE(o.reason().find("instruction budget exceeded (1000000 instructions per call)"), std::string::npos)
        << o.reason();
    EXPECT_NE(o.reason().find("test.lua:3:"), std::string::npos) << "points at the loop: " << o.reason();

    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(h.run_one(make_event(i)).is_done());
    EXPECT_EQ(h.context.counter_value("handled"), 3u);
}

TEST(LuaLimits, LoopThatCatchesTheBudgetErrorWithPcallIsStillStopped) {
    ScriptHarness h(script_with("while true do pcall(function() while true do end end) end"), "{}", k_small);
    const Outcome o = h.run_one(make_event(0, "Bad"));
    EXPECT_EQ(o.kind(), Outcome::Kind::retry_later);
    EXPECT_NE(o.reason().find("instruction budget exceeded"), std::string::npos) << o.reason();
    EXPECT_TRUE(h.run_one(make_event(1)).is_done());
}

TEST(LuaLimits, XpcallHandlerCannotOutliveTheBudget) {
    ScriptHarness h(
        script_with("while true do xpcall(function() while true do end end, function(e) while true do end end) end"),
        "{}", k_small);
    EXPECT_EQ(h.run_one(make_event(0, "Bad")).kind(), Outcome::Kind::retry_later);
    EXPECT_TRUE(h.run_one(make_event(1)).is_done());
}

TEST(LuaLimits, BudgetIsPerCall) {
    // About 60% of the budget each time: never exceeded, however many calls.
    ScriptHarness h("function on_event(event) local x = 0 for i = 1, 150000 do x = x + i end end", "{}", k_small);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(h.run_one(make_event(i)).is_done()) << i;
}

TEST(LuaLimits, MemoryBombIsStoppedByTheCapAndTheStateStaysUsable) {
    ScriptHarness h(script_with("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end"), "{}", k_small);
    const Outcome o = h.run_one(make_event(0, "Bad"));
    EXPECT_EQ(o.kind(), Outcome::Kind::retry_later);
    EXPECT_EQ(o.reason(), "memory limit exceeded (8 MiB)");
    EXPECT_LE(h.plugin->memory_used(), k_small.memory_bytes);

    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(h.run_one(make_event(i)).is_done());
    EXPECT_EQ(h.context.counter_value("handled"), 3u);
}

TEST(LuaLimits, OneHugeAllocationIsRefused) {
    ScriptHarness h(script_with("local s = string.rep('x', 1 << 30)"), "{}", k_small);
    const Outcome o = h.run_one(make_event(0, "Bad"));
    EXPECT_EQ(o.kind(), Outcome::Kind::retry_later);
    EXPECT_NE(o.reason().find("memory limit exceeded"), std::string::npos) << o.reason();
    EXPECT_TRUE(h.run_one(make_event(1)).is_done());
}

TEST(LuaLimits, MemoryErrorCaughtByPcallIsTheScriptsBusiness) {
    ScriptHarness h(R"lua(
        function on_event(event)
          local ok, err = pcall(function() local t = {} for i = 1, 1e9 do t[i] = {} end end)
          assert(not ok and err == "not enough memory")
          fanout.counter("survived")
        end
    )lua",
                    "{}", k_small);
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    EXPECT_EQ(h.context.counter_value("survived"), 1u);
}

TEST(LuaLimits, TopLevelLoopFailsTheLoad) {
    EXPECT_THROW(ScriptHarness("while true do end function on_event() end", "{}", k_small),
                 daemon::lua::LuaScriptError);
}

TEST(LuaLimits, FinalizersAreRefusedBecauseLuaRunsThemWithoutHooks) {
    try {
        ScriptHarness h(
            "keep = setmetatable({}, { __gc = function() while true do end end })\n"
            "function on_event(event) end\n");
        FAIL() << "a __gc metamethod was accepted";
    } catch (const daemon::lua::LuaScriptError& e) {
        EXPECT_EQ(e.detail(), "__gc metamethods are not available to scripts");
    }
    // Added after setmetatable, __gc never marks the object: closing is quick.
    const auto start = std::chrono::steady_clock::now();
    {
        ScriptHarness h(R"lua(
            local mt = {}
            keep = setmetatable({}, mt)
            mt.__gc = function() while true do end end
            function on_event(event) end
        )lua",
                        "{}", k_small);
        EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(LuaLimits, XpcallStillCallsItsHandler) {
    ScriptHarness h(R"lua(
        function on_event(event)
          local ok, message = xpcall(function(a, b) error(a .. b) end, function(e) return "handled: " .. e end, "x", "y")
          assert(not ok and message == "handled: test.lua:3: xy", message)
          local r = table.pack(xpcall(function(...) return ... end, print, 1, nil, 3))
          assert(r.n == 4 and r[1] == true and r[2] == 1 and r[3] == nil and r[4] == 3)
        end
    )lua");
    const Outcome o = h.run_one(make_event(0));
    EXPECT_TRUE(o.is_done()) << o.reason();
}

TEST(LuaLimits, OnBatchBombOnlyFailsTheEventThatCausedIt) {
    ScriptHarness h(R"lua(
        function on_batch(events)
          for i = 1, #events do
            if events[i].type == "Bad" then local t = {} while true do t[#t + 1] = {} end end
            fanout.counter("handled")
          end
        end
    )lua",
                    "{}", k_small);
    const auto outcomes = h.run({make_event(0), make_event(1), make_event(2, "Bad"), make_event(3)});
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_TRUE(outcomes[1].is_done());
    EXPECT_EQ(outcomes[2].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(outcomes[2].reason().find("exceeded"), std::string::npos) << outcomes[2].reason();
    EXPECT_TRUE(outcomes[3].is_done());
}

}  // namespace
