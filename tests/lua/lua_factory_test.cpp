// The factory behind `type: lua`: config-time checks, --check-config output,
// and reloading a script edited on disk.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "config.hpp"
#include "config_error.hpp"
#include "lua/lua_factory.hpp"
#include "lua/lua_kind.hpp"
#include "lua_fakes.hpp"
#include "plugin_factory.hpp"
#include "process.hpp"
#include "producer.hpp"

using namespace fanout;
using namespace fanout::test;
using fanout::daemon::ConfigError;
using fanout::daemon::lua::LuaPluginFactory;

namespace {

daemon::PluginSettings lua_settings(const std::filesystem::path& script) {
    daemon::PluginSettings p;
    p.name = "trending";
    p.type = "lua";
    p.path = script;
    p.topics = {"posts"};
    p.path_location = {"/etc/fanout/fanoutd.yaml", 12, 11};
    p.options = YAML::Load("{threshold: 3}");
    return p;
}

// A producer that is never used for sending: create() only needs one to exist.
struct IdleProducer {
    IdleProducer() {
        settings.kafka.brokers = "127.0.0.1:1";
        settings.kafka.properties = {{"log_level", "0"}};
        producer = std::make_unique<daemon::SyncProducer>(settings, "lua-factory-test");
        services = std::make_unique<daemon::HostServices>(daemon::HostServices{*producer});
    }
    daemon::DaemonSettings settings;
    std::unique_ptr<daemon::SyncProducer> producer;
    std::unique_ptr<daemon::HostServices> services;
};

std::string factory_error(const daemon::PluginSettings& settings) {
    try {
        LuaPluginFactory factory(settings);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

/// A script the factory refuses, and the message it gives.
struct RefusedScript {
    const char* name;
    const char* file;    ///< written in a fresh directory; nullptr: a path that does not exist
    const char* source;
    bool at_path_field;  ///< the message starts at the config's path field, naming the plugin
    std::string after_path;
};

void PrintTo(const RefusedScript& c, std::ostream* out) { *out << c.name; }

class LuaFactoryRefuses : public ::testing::TestWithParam<RefusedScript> {};

TEST_P(LuaFactoryRefuses, WithThePlaceOfTheMistake) {
    const RefusedScript& c = GetParam();
    TempDir dir;
    const std::filesystem::path script =
        c.file != nullptr ? dir.write(c.file, c.source) : std::filesystem::path("/nonexistent/fanout/script.lua");
    const std::string at = c.at_path_field ? "/etc/fanout/fanoutd.yaml:12:11: plugin 'trending': Lua script " : "";
    EXPECT_EQ(factory_error(lua_settings(script)), at + script.string() + c.after_path);
}

INSTANTIATE_TEST_SUITE_P(
    Scripts, LuaFactoryRefuses,
    ::testing::Values(
        RefusedScript{"SyntaxErrorIsReportedAsPathLineMessage", "broken.lua",
                      "function on_event(e)\n  if e.type == then\n  end\nend\n", false,
                      ":2: unexpected symbol near 'then'"},
        RefusedScript{"TopLevelRuntimeErrorIsReportedWithItsLine", "top.lua",
                      "local x = 1\nundefined_function()\nfunction on_event(e) end\n", false,
                      ":2: attempt to call a nil value (global 'undefined_function')"},
        RefusedScript{"MissingEntryPointsAreAConfigError", "empty.lua", "-- nothing here\nfunction init(options) end\n",
                      true, ": the script defines neither on_event(event) nor on_batch(events)"},
        RefusedScript{"MissingFileIsReportedAtThePathField", nullptr, "", true,
                      " cannot be opened: No such file or directory"}),
    [](const ::testing::TestParamInfo<RefusedScript>& info) { return std::string(info.param.name); });

TEST(LuaFactory, NonRegularScriptsAreRefusedWithoutBeingRead) {
    TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "fifo.lua").c_str(), 0600), 0);  // no writer: reading would block forever
    std::filesystem::create_directory(dir / "dir.lua");
    const std::string at = "/etc/fanout/fanoutd.yaml:12:11: plugin 'trending': Lua script ";
    EXPECT_EQ(factory_error(lua_settings("/dev/zero")), at + "/dev/zero is a character device, not a regular file");
    EXPECT_EQ(factory_error(lua_settings(dir / "fifo.lua")),
              at + (dir / "fifo.lua").string() + " is a FIFO (named pipe), not a regular file");
    EXPECT_EQ(factory_error(lua_settings(dir / "dir.lua")),
              at + (dir / "dir.lua").string() + " is a directory, not a regular file");
}

TEST(LuaFactory, ScriptOverTheSizeLimitIsRefused) {
    TempDir dir;
    const auto script = dir.write("big.lua", "-- " + std::string(2000, 'x') + "\nfunction on_event(e) end\n");
    auto settings = lua_settings(script);
    daemon::lua::LuaSettings limits;
    limits.max_script_bytes = 1024;
    settings.kind_settings = limits;
    EXPECT_EQ(factory_error(settings), "/etc/fanout/fanoutd.yaml:12:11: plugin 'trending': Lua script " +
                                           script.string() + " is 2029 bytes, over the limit of 1 KiB");
    limits.max_script_bytes = 4096;
    settings.kind_settings = limits;
    EXPECT_EQ(factory_error(settings), "no error");
}

TEST(LuaFactory, ScriptReplacedByAFifoFailsTheReloadInsteadOfHanging) {
    TempDir dir;
    const auto script = dir.write("s.lua", "function on_event(e) end\n");
    LuaPluginFactory factory(lua_settings(script));
    std::filesystem::remove(script);
    ASSERT_EQ(::mkfifo(script.c_str(), 0600), 0);
    EXPECT_TRUE(factory.changed_on_disk());
    IdleProducer producer;
    FakeContext context;
    try {
        factory.create(context, *producer.services);
        FAIL() << "created";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "Lua script " + script.string() + " is a FIFO (named pipe), not a regular file");
    }
}

TEST(LuaFactory, CheckDoesNotCallInit) {
    TempDir dir;
    const auto script = dir.write("init.lua", "function init(o) error('init ran') end\nfunction on_event(e) end\n");
    EXPECT_NO_THROW(LuaPluginFactory factory(lua_settings(script)));
}

TEST(LuaFactory, PrepareBuildsLuaFactoriesFromTheConfig) {
    TempDir dir;
    dir.write("count.lua", "function on_event(e) fanout.counter('n') end\n");
    const auto settings = daemon::parse_config(
        "kafka: {brokers: 127.0.0.1:1}\n"
        "plugins:\n"
        "  - name: counter\n"
        "    type: lua\n"
        "    path: count.lua\n"
        "    topics: [posts]\n"
        "    lua: {memory_limit_mb: 16, instruction_limit: 5000}\n",
        dir / "fanoutd.yaml");
    const auto factories = daemon::prepare_plugins(settings);
    ASSERT_EQ(factories.size(), 1u);
    EXPECT_NE(factories[0]->describe().find("lua " + (dir / "count.lua").string()), std::string::npos);
    EXPECT_NE(factories[0]->describe().find("memory_limit=16MiB, instruction_limit=5000"), std::string::npos)
        << factories[0]->describe();
}

TEST(LuaFactory, EditedScriptIsNoticedAndTheNewInstanceRunsTheNewCode) {
    TempDir dir;
    const auto script = dir.write("versioned.lua", "function on_event(e) fanout.counter('v1') end\n");
    LuaPluginFactory factory(lua_settings(script));
    IdleProducer producer;
    FakeContext context("versioned");

    auto first = factory.create(context, *producer.services);
    EXPECT_FALSE(factory.changed_on_disk());

    dir.write("versioned.lua", "function on_event(e) fanout.counter('v2') end\n");
    EXPECT_TRUE(factory.changed_on_disk());
    auto second = factory.create(context, *producer.services);
    EXPECT_FALSE(factory.changed_on_disk());

    const FakeEvent event = make_event(0);
    const Event* events[] = {&event};
    std::vector<Outcome> outcomes(1);
    first->handle(events, outcomes);
    second->handle(events, outcomes);
    EXPECT_EQ(context.counter_value("v1"), 1u) << "the old instance keeps its code until swapped";
    EXPECT_EQ(context.counter_value("v2"), 1u);
}

TEST(LuaFactory, FailedReloadKeepsReportingTheChange) {
    TempDir dir;
    const auto script = dir.write("s.lua", "function on_event(e) end\n");
    LuaPluginFactory factory(lua_settings(script));
    IdleProducer producer;
    FakeContext context;
    auto running = factory.create(context, *producer.services);

    dir.write("s.lua", "function on_event(e)\n  oops(\nend\n");
    EXPECT_TRUE(factory.changed_on_disk());
    try {
        factory.create(context, *producer.services);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(script.string() + ":3: ", 0), 0u) << e.what();
    }
    EXPECT_TRUE(factory.changed_on_disk()) << "the running instance is still the old one";
}

fanout::test::RunResult check_config(const TempDir& dir, const std::string& script_name) {
    const auto config = dir.write("fanoutd.yaml",
                                  "kafka:\n  brokers: 127.0.0.1:1\n"
                                  "plugins:\n"
                                  "  - name: scripted\n"
                                  "    type: lua\n"
                                  "    path: " +
                                      script_name +
                                      "\n"
                                      "    topics: [posts]\n"
                                      "    options: {threshold: 3}\n");
    return run_command({(bin_dir() / "fanoutd").string(), "--check-config", "--config", config.string()},
                       std::chrono::seconds(20));
}

TEST(LuaCheckConfig, SyntaxErrorExits78WithPathLineMessage) {
    TempDir dir;
    dir.write("bad.lua", "function on_event(e)\n\n  return return\nend\n");
    const auto r = check_config(dir, "bad.lua");
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find((dir / "bad.lua").string() + ":3: unexpected symbol near 'return'"), std::string::npos)
        << r.output;
}

TEST(LuaCheckConfig, ValidScriptExitsZero) {
    TempDir dir;
    dir.write("good.lua", "function init(o) error('not during check') end\nfunction on_batch(events) end\n");
    const auto r = check_config(dir, "good.lua");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("scripted: lua " + (dir / "good.lua").string()), std::string::npos) << r.output;
}

TEST(LuaCheckConfig, ShippedScriptsPass) {
    for (const char* name : {"analytics.lua", "trending.lua"}) {
        TempDir dir;
        const auto r = check_config(dir, (std::filesystem::path(FANOUT_SOURCE_DIR) / "scripts" / name).string());
        EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    }
}

}  // namespace
