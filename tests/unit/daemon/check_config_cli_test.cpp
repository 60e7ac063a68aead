// `fanoutd --check-config` as ops run it: exit 0 or 78 with file:line:col.
#include <gtest/gtest.h>

#include "process.hpp"

using fanout::test::lib_dir;
using fanout::test::run_command;
using fanout::test::TempDir;

namespace {

std::string config_with(const std::string& library, const std::string& options) {
    return "kafka:\n  brokers: 127.0.0.1:1\n"  // nothing listens: --check-config must not care
           "plugins:\n"
           "  - name: audit\n"
           "    type: library\n"
           "    path: " + library + "\n"
           "    topics: [posts]\n"
           "    options:\n" + options;
}

fanout::test::RunResult check(const TempDir& dir, const std::string& yaml) {
    const auto file = dir.write("fanoutd.yaml", yaml);
    return run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--check-config", "--config", file.string()},
                       std::chrono::seconds(20));
}

}  // namespace

TEST(CheckConfig, ValidConfigExitsZeroWithoutABroker) {
    TempDir dir;
    const auto r = check(dir, config_with((lib_dir() / "libfanout_example.so").string(), "      path: /tmp/a.jsonl\n"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("OK (1 plugin)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("library example 1.0.0"), std::string::npos) << r.output;
}

TEST(CheckConfig, UnknownPluginOptionExits78WithLocation) {
    TempDir dir;
    const auto r = check(dir, config_with((lib_dir() / "libfanout_example.so").string(),
                                          "      path: /tmp/a.jsonl\n      fsnyc: true\n"));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:10:7: plugin 'audit' options: unknown field 'fsnyc'"), std::string::npos)
        << r.output;
}

TEST(CheckConfig, MissingRequiredPluginOptionExits78) {
    TempDir dir;
    const auto r = check(dir, config_with((lib_dir() / "libfanout_example.so").string(), "      fsync: true\n"));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("missing required option 'path'"), std::string::npos) << r.output;
}

TEST(CheckConfig, LibraryErrorsPointAtThePath) {
    TempDir dir;
    auto r = check(dir, config_with("./missing.so", "      path: x\n"));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:6:11: plugin 'audit': plugin library not found: "), std::string::npos)
        << r.output;

    r = check(dir, config_with((lib_dir() / "libfanout_test_abi_mismatch.so").string(), "      record_path: x\n"));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("built for plugin ABI version 999"), std::string::npos) << r.output;

    r = check(dir, config_with((lib_dir() / "libfanout_test_not_a_plugin.so").string(), "      x: y\n"));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("not a Fanout plugin"), std::string::npos) << r.output;
}

TEST(CheckConfig, InvalidKafkaPropertyExits78) {
    TempDir dir;
    std::string yaml = config_with((lib_dir() / "libfanout_example.so").string(), "      path: /tmp/a\n");
    yaml.replace(yaml.find("plugins:"), 8, "  properties:\n    no.such.property: \"1\"\nplugins:");
    const auto r = check(dir, yaml);
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("kafka.properties 'no.such.property': No such configuration property"), std::string::npos)
        << r.output;
}

TEST(CheckConfig, MissingConfigFileExits78) {
    const auto r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--check-config", "-c", "/nope.yaml"});
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_NE(r.output.find("/nope.yaml: config file not found"), std::string::npos) << r.output;
}

TEST(CheckConfig, LuaTypeWithBadScriptIsAConfigError) {
    TempDir dir;
    std::string yaml = "kafka: {brokers: 127.0.0.1:1}\nplugins:\n  - {name: s, type: lua, path: ./missing.lua, topics: t}\n";
    const auto r = check(dir, yaml);
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:3:"), std::string::npos) << r.output;
}

TEST(Cli, VersionAndHelp) {
    auto r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("fanoutd 0.1.0 (plugin ABI 1"), std::string::npos) << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("--check-config"), std::string::npos) << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--bogus"});
    EXPECT_EQ(r.exit_code, 64) << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string()});
    EXPECT_EQ(r.exit_code, 64) << r.output;
}
