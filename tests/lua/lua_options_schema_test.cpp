// A Lua script's options_schema: fanoutd (and --check-config) checks the
// entry's options against it like a C++ plugin's, at their lines; init()
// receives every declared option with the defaults filled in.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_error.hpp"
#include "lua_fakes.hpp"
#include "plugin_factory.hpp"
#include "process.hpp"
#include "producer.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

constexpr const char* k_schema = R"(
options_schema = {
  threshold = { type = "integer", default = 10, description = "likes that make a post trending" },
  endpoint = { type = "string", description = "where alerts go" },
  ratio = { type = "number", default = 0.5 },
  loud = { type = "boolean", default = false },
  tags = { type = "string_list", default = { "a", "b, \"c\"" } },
}
)";

/// The config text of one Lua plugin `t` running script.lua with `options`
/// (YAML lines at 6 spaces, or empty for none).
std::string config(const std::string& options) {
    return "kafka: {brokers: 127.0.0.1:1}\n"
           "plugins:\n"
           "  - name: t\n"
           "    type: lua\n"
           "    path: script.lua\n"
           "    topics: [posts]\n" +
           (options.empty() ? std::string() : "    options:\n" + options);
}

/// prepare_plugins' error for the script and options; "no error" when accepted.
std::string refusal(TempDir& dir, const std::string& script, const std::string& options) {
    dir.write("script.lua", script);
    try {
        daemon::prepare_plugins(daemon::parse_config(config(options), dir / "fanoutd.yaml"));
    } catch (const daemon::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(LuaOptionsSchema, OptionsThatDoNotFitTheDeclarationAreRefusedAtTheirLine) {
    TempDir dir;
    const std::string script = std::string(k_schema) + "function on_event(e) end\n";
    const std::string file = (dir / "fanoutd.yaml").string();
    struct Case {
        const char* options;
        std::string expected;
    };
    const Case cases[] = {
        {"      endpoint: http://a\n      threshold: lots\n",
         file + ":9:18: plugin 't' option 'threshold' (integer): expected an integer, got 'lots'"},
        {"      threshold: 3\n", file + ":8:7: plugin 't': missing required option 'endpoint' (string: where alerts go)"},
        {"", file + ":3:5: plugin 't': missing required option 'endpoint' (string: where alerts go)"},
        {"      endpoint: x\n      colour: red\n",
         file + ":9:7: plugin 't' options: unknown field 'colour' (expected one of: endpoint, loud, ratio, tags, "
                "threshold)"},
        {"      endpoint: x\n      loud: maybe\n", file + ":9:13: plugin 't' option 'loud' (boolean)"},
        {"      endpoint: x\n      tags: {a: 1}\n", file + ":9:13: plugin 't' option 'tags' (list of strings)"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.options);
        const std::string error = refusal(dir, script, c.options);
        EXPECT_EQ(error.rfind(c.expected, 0), 0u) << error;
    }
    EXPECT_EQ(refusal(dir, script, "      endpoint: http://a\n      threshold: 3\n"), "no error");
}

TEST(LuaOptionsSchema, AMalformedDeclarationIsTheScriptsErrorNamingTheOption) {
    TempDir dir;
    struct Case {
        const char* declaration;
        const char* expected;
    };
    const Case cases[] = {
        {"options_schema = 3", "'options_schema' must be a table"},
        {"options_schema = { n = { type = 'int' } }",
         "options_schema.n: type 'int' is not one of string, integer, number, boolean, string_list"},
        {"options_schema = { n = { type = 'integer', default = 1.5 } }", "options_schema.n: the default is not a integer"},
        {"options_schema = { n = { type = 'string_list', default = { 1 } } }",
         "options_schema.n: default: a list holds strings only"},
        {"options_schema = { n = 'integer' }", "options_schema.n: expected { type = ..., default = ..., description"},
        {"options_schema = { [1] = { type = 'integer' } }", "options_schema: keys are option names"},
        {"options_schema = { n = { type = 'string_list', default = { 'a', x = 'b' } } }",
         "options_schema.n: default: expected a list of strings"},
        {"options_schema = { ['a\\0b'] = { type = 'string' } }",
         "options_schema: an option name is 1 to 64 letters, digits, '_' or '-', not 'a?b'"},
        {"options_schema = { ['with space'] = { type = 'string' } }",
         "options_schema: an option name is 1 to 64 letters, digits, '_' or '-', not 'with space'"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.declaration);
        const std::string error = refusal(dir, std::string(c.declaration) + "\nfunction on_event(e) end\n", "");
        EXPECT_NE(error.find("plugin 't': Lua script " + (dir / "script.lua").string() + ": " + c.expected),
                  std::string::npos)
            << error;
    }
}

TEST(LuaOptionsSchema, InitReceivesEveryDeclaredOptionWithDefaultsFilledIn) {
    TempDir dir;
    dir.write("script.lua", std::string(k_schema) + R"(
function init(options)
  assert(options.threshold == 10 and math.type(options.threshold) == "integer", "threshold")
  assert(options.endpoint == "http://a", "endpoint")
  assert(options.ratio == 0.25, "ratio")
  assert(options.loud == false, "loud")
  assert(#options.tags == 2 and options.tags[2] == 'b, "c"', "tags")
  fanout.counter("init_ok")
end
function on_event(e) end
)");
    const auto factories =
        daemon::prepare_plugins(daemon::parse_config(config("      endpoint: http://a\n      ratio: 0.25\n"),
                                                     dir / "fanoutd.yaml"));
    ASSERT_EQ(factories.size(), 1u);
    daemon::DaemonSettings settings;
    settings.kafka.brokers = "127.0.0.1:1";
    settings.kafka.properties = {{"log_level", "0"}};
    daemon::SyncProducer producer(settings, "lua-options-test");  // never sends: create() needs one
    daemon::HostServices services{producer};
    FakeContext context("t");
    const auto plugin = factories[0]->create(context, services);
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(context.counter_value("init_ok"), 1u);
}

TEST(LuaOptionsSchema, WithoutADeclarationTheOptionsReachTheScriptAsWritten) {
    TempDir dir;
    EXPECT_EQ(refusal(dir, "function on_event(e) end\n", "      anything: [1, 2]\n"), "no error");
}
