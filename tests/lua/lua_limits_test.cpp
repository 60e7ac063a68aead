// The memory cap and the instruction budget stop a runaway script: that
// event fails (failed: a script error), and the same state handles the next event.
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

TEST(LuaLimits, BudgetIsPerCall) {
    // About 60% of the budget each time: never exceeded, however many calls.
    ScriptHarness h("function on_event(event) local x = 0 for i = 1, 150000 do x = x + i end end", "{}", k_small);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(h.run_one(make_event(i)).is_done()) << i;
}

/// A script that misbehaves on a `Bad` event, and what its failure says.
struct Runaway {
    const char* name;
    std::string misbehaviour;
    std::string reason;  ///< found in the failed reason
};

void PrintTo(const Runaway& r, std::ostream* out) { *out << r.name; }

class LuaLimitsRunaway : public ::testing::TestWithParam<Runaway> {};

// The event fails quickly with the reason, the state keeps its memory under
// the cap and handles the next events.
TEST_P(LuaLimitsRunaway, IsStoppedAndTheStateStaysUsable) {
    ScriptHarness h(script_with(GetParam().misbehaviour), "{}", k_small);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(fails_with(h.run_one(make_event(0, "Bad")), GetParam().reason));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_LE(h.plugin->memory_used(), k_small.memory_bytes);

    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(done(h.run_one(make_event(i))));
    EXPECT_EQ(h.context.counter_value("handled"), 3u);
}

INSTANTIATE_TEST_SUITE_P(
    Scripts, LuaLimitsRunaway,
    ::testing::Values(
        // The reason points at the loop.
        Runaway{"InfiniteLoopIsStoppedByTheBudget", "while true do end",
                "test.lua:3: instruction budget exceeded (1000000 instructions per call)"},
        Runaway{"LoopThatCatchesTheBudgetErrorWithPcallIsStillStopped",
                "while true do pcall(function() while true do end end) end", "instruction budget exceeded"},
        Runaway{"XpcallHandlerCannotOutliveTheBudget",
                "while true do xpcall(function() while true do end end, function(e) while true do end end) end",
                "instruction budget exceeded"},
        Runaway{"MemoryBombIsStoppedByTheCap", "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end",
                "memory limit exceeded (8 MiB)"},
        Runaway{"OneHugeAllocationIsRefused", "local s = string.rep('x', 1 << 30)", "memory limit exceeded"}),
    [](const ::testing::TestParamInfo<Runaway>& info) { return std::string(info.param.name); });

TEST(LuaLimits, MemoryBombReasonIsExactlyTheCap) {
    ScriptHarness h(script_with("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end"), "{}", k_small);
    EXPECT_EQ(h.run_one(make_event(0, "Bad")).reason(), "memory limit exceeded (8 MiB)");
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
    EXPECT_TRUE(done(h.run_one(make_event(0))));
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
    EXPECT_TRUE(fails_with(outcomes[2], "exceeded"));
    EXPECT_TRUE(outcomes[3].is_done());
}

}  // namespace
