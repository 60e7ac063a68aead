// Every way out of the sandbox fails cleanly: the event fails with a clear
// reason, nothing escapes, and the same state keeps handling events.
#include <gtest/gtest.h>

#include "lua_fakes.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

// Runs `attempt` inside on_event for an event of type "Escape"; any other
// event just counts, so we can tell the state survived.
std::string script_trying(const std::string& attempt) {
    return "function on_event(event)\n"
           "  if event.type == 'Escape' then\n" +
           attempt +
           "\n  end\n"
           "  fanout.counter('handled')\n"
           "end\n";
}

struct EscapeCase {
    const char* name;
    const char* attempt;
    const char* expected;  // in the failure reason
};

class LuaSandboxEscape : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(LuaSandboxEscape, FailsTheEventAndLeavesTheStateUsable) {
    const EscapeCase& c = GetParam();
    ScriptHarness h(script_trying(c.attempt));
    const Outcome failed = h.run_one(make_event(0, "Escape"));
    EXPECT_EQ(failed.kind(), Outcome::Kind::failed) << c.name;
    EXPECT_NE(failed.reason().find(c.expected), std::string::npos) << c.name << ": " << failed.reason();

    EXPECT_TRUE(h.run_one(make_event(1)).is_done());
    EXPECT_EQ(h.context.counter_value("handled"), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Attempts, LuaSandboxEscape,
    ::testing::Values(
        EscapeCase{"io_open", "io.open('/etc/passwd')", "global 'io'"},
        EscapeCase{"io_popen", "io.popen('id')", "global 'io'"},
        EscapeCase{"os_execute", "os.execute('touch /tmp/fanout-escaped')", "field 'execute'"},
        EscapeCase{"os_exit", "os.exit(3)", "field 'exit'"},
        EscapeCase{"os_getenv", "return os.getenv('HOME')", "field 'getenv'"},
        EscapeCase{"os_remove", "os.remove('/tmp/x')", "field 'remove'"},
        EscapeCase{"require", "require('io')", "global 'require'"},
        EscapeCase{"package", "package.loadlib('libc.so.6', 'system')", "global 'package'"},
        EscapeCase{"load_text", "load('return 1')()", "global 'load'"},
        EscapeCase{"load_bytecode", "load('\\27Lua\\84\\0', 'x', 'b')", "global 'load'"},
        EscapeCase{"loadstring", "loadstring('return 1')", "global 'loadstring'"},
        EscapeCase{"dofile", "dofile('/etc/passwd')", "global 'dofile'"},
        EscapeCase{"loadfile", "loadfile('/etc/passwd')", "global 'loadfile'"},
        EscapeCase{"string_dump", "string.dump(on_event)", "field 'dump'"},
        EscapeCase{"string_dump_method", "local s = 'x'; s:dump()", "method 'dump'"},
        EscapeCase{"debug", "debug.getregistry()", "global 'debug'"},
        EscapeCase{"collectgarbage", "collectgarbage('stop')", "global 'collectgarbage'"},
        EscapeCase{"rawset", "rawset(_G, 'x', 1)", "global 'rawset'"},
        EscapeCase{"rawget", "rawget(_G, 'x')", "global 'rawget'"},
        EscapeCase{"string_metatable_index", "getmetatable('').__index = { upper = function() return 'pwned' end }",
                   "attempt to index a boolean value"},
        EscapeCase{"string_metatable_set", "setmetatable('', {})", "bad argument #1 to 'setmetatable'"},
        EscapeCase{"event_metatable", "getmetatable(event).__index = nil", "attempt to index a string value"},
        EscapeCase{"event_write", "event.type = 'x'", "events are read-only"},
        EscapeCase{"event_data_write", "event.data.author = 'mallory'", "events are read-only"}),
    [](const ::testing::TestParamInfo<EscapeCase>& info) { return std::string(info.param.name); });

TEST(LuaSandbox, GlobalsAreExactlyTheAllowedSet) {
    ScriptHarness h(R"lua(
        local names = {}
        for k in pairs(_G) do names[#names + 1] = k end
        table.sort(names)
        function on_event(event) end
        function init() fanout.log.info(table.concat(names, ",")) end
        local os_names = {}
        for k in pairs(os) do os_names[#os_names + 1] = k end
        table.sort(os_names)
        OS_NAMES = table.concat(os_names, ",")
        function on_shutdown() end
        fanout.log.info("os:" .. OS_NAMES)
    )lua");
    const auto lines = h.context.log().lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].message, "os:clock,date,time");
    EXPECT_EQ(lines[1].message,
              "_G,_VERSION,assert,error,fanout,getmetatable,ipairs,math,next,os,pairs,pcall,print,select,"
              "setmetatable,string,table,tonumber,tostring,type,utf8,warn,xpcall");
}

TEST(LuaSandbox, StringMethodsStillWorkThroughTheHiddenMetatable) {
    ScriptHarness h(R"lua(
        function on_event(event)
          fanout.log.info(("abc"):upper() .. ("x"):rep(3) .. tostring(getmetatable("")))
        end
    )lua");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    EXPECT_TRUE(h.context.log().contains("ABCxxxfalse"));
}

TEST(LuaSandbox, OsKeepsOnlyClockFunctions) {
    ScriptHarness h(R"lua(
        function on_event(event)
          assert(type(os.time()) == "number")
          assert(os.date("!%Y-%m-%d", 0) == "1970-01-01")
          assert(type(os.clock()) == "number")
        end
    )lua");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
}

TEST(LuaSandbox, BytecodeScriptIsRefusedByTheLoader) {
    // A real bytecode chunk, made outside the sandbox.
    lua_State* L = luaL_newstate();
    ASSERT_EQ(luaL_loadstring(L, "function on_event(e) end"), LUA_OK);
    std::string bytecode;
    lua_dump(
        L,
        [](lua_State*, const void* p, size_t n, void* ud) {
            static_cast<std::string*>(ud)->append(static_cast<const char*>(p), n);
            return 0;
        },
        &bytecode, 1);
    lua_close(L);
    ASSERT_EQ(bytecode.substr(0, 4), "\x1bLua");

    try {
        ScriptHarness h(bytecode);
        FAIL() << "bytecode was loaded";
    } catch (const daemon::lua::LuaScriptError& e) {
        EXPECT_NE(std::string(e.what()).find("attempt to load a binary chunk"), std::string::npos) << e.what();
    }
}

TEST(LuaSandbox, PrintGoesToTheLogNotStdout) {
    ScriptHarness h("function on_event(event) print('hello', 42, true) end");
    EXPECT_TRUE(h.run_one(make_event(0)).is_done());
    const auto lines = h.context.log().lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back().level, LogLevel::info);
    EXPECT_EQ(lines.back().message, "hello 42 true");
}

}  // namespace
