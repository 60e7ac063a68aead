// `fanoutd --check-config` as ops run it: exit 0 or 78 with file:line:col.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "fanout/abi.hpp"
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
           "    path: " +
           library +
           "\n"
           "    topics: [posts]\n"
           "    options:\n" +
           options;
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
    EXPECT_NE(r.output.find("built for plugin ABI version 1, this fanoutd speaks version " +
                            std::to_string(fanout::k_abi_version)),
              std::string::npos)
        << r.output;

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
    std::string yaml =
        "kafka: {brokers: 127.0.0.1:1}\nplugins:\n  - {name: s, type: lua, path: ./missing.lua, topics: t}\n";
    const auto r = check(dir, yaml);
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:3:"), std::string::npos) << r.output;
}

// Configurations that once crashed or hung the loader, or were refused without
// a location: each must exit 78 with `file:line:col: message`, never by a signal.
TEST(CheckConfig, SelfReferencingAliasExits78WithLocation) {
    TempDir dir;
    auto r = check(dir, "x: &x [*x]\n");
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:1:8: alias refers to the node that contains it"), std::string::npos)
        << r.output;

    r = check(dir, config_with((lib_dir() / "libfanout_example.so").string(), "      path: /tmp/a.jsonl\n") +
                       "  - name: other\n    type: library\n    path: x.so\n    topics: [posts]\n"
                       "    options: &o { self: *o }\n");
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:14:25: alias refers to the node that contains it"), std::string::npos)
        << r.output;
}

TEST(CheckConfig, DeepNestingAndAliasBombsExit78) {
    TempDir dir;
    auto r = check(dir, std::string(100'000, '['));
    EXPECT_EQ(r.exit_code, 78) << r.output.substr(0, 500);
    EXPECT_NE(r.output.find("fanoutd.yaml:1:"), std::string::npos) << r.output.substr(0, 500);
    EXPECT_NE(r.output.find("nested deeper than 64 levels"), std::string::npos) << r.output.substr(0, 500);

    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
        const std::string prev(1, static_cast<char>(c - 1));
        bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
                prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    }
    r = check(dir, bomb);
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:5:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("the document has more than 100000 nodes"), std::string::npos) << r.output;
}

TEST(CheckConfig, EmptyAndBomOnlyFilesExit78AtLineOne) {
    TempDir dir;
    for (const std::string text : {"", "\xEF\xBB\xBF", "# only a comment\n"}) {
        const auto r = check(dir, text);
        EXPECT_EQ(r.exit_code, 78) << r.output;
        EXPECT_NE(r.output.find("fanoutd.yaml:1:1: the file holds no YAML document"), std::string::npos) << r.output;
    }
}

TEST(CheckConfig, SecondDocumentExits78AtItsStart) {
    TempDir dir;
    const std::string valid = config_with((lib_dir() / "libfanout_example.so").string(), "      path: /tmp/a.jsonl\n");
    const auto r = check(dir, valid + "---\nkafka: {brokers: [\n");
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:10:1: a second YAML document starts here"), std::string::npos) << r.output;
}

TEST(CheckConfig, MissingRequiredOptionWithoutOptionsPointsAtThePluginEntry) {
    TempDir dir;
    std::string yaml = config_with((lib_dir() / "libfanout_example.so").string(), "");
    yaml.erase(yaml.find("    options:\n"));
    const auto r = check(dir, yaml);
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml:4:5: plugin 'audit': missing required option 'path'"), std::string::npos)
        << r.output;
}

TEST(CheckConfig, DeviceOrOversizedConfigExits78WithoutReadingIt) {
    auto r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--check-config", "-c", "/dev/zero"},
                         std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("/dev/zero: config file is a character device, not a regular file"), std::string::npos)
        << r.output;

    TempDir dir;
    r = check(dir, "# " + std::string(3u << 20, 'x') + "\n");
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("fanoutd.yaml: config file is 3145731 bytes, over the limit of 1 MiB"), std::string::npos)
        << r.output;
}

TEST(CheckConfig, LuaScriptThatIsADeviceFifoDirectoryOrTooLargeExits78AtItsPath) {
    TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "fifo.lua").c_str(), 0600), 0);
    std::filesystem::create_directory(dir / "dir.lua");
    dir.write("big.lua", "-- " + std::string((1u << 20) + 1, 'x') + "\nfunction on_event(e) end\n");
    const std::pair<std::string, std::string> cases[] = {
        {"/dev/zero", "Lua script /dev/zero is a character device, not a regular file"},
        {"fifo.lua", "fifo.lua is a FIFO (named pipe), not a regular file"},
        {"dir.lua", "dir.lua is a directory, not a regular file"},
        {"big.lua", "big.lua is 1048606 bytes, over the limit of 1 MiB"},
    };
    for (const auto& [path, message] : cases) {
        const auto r = check(dir,
                             "kafka: {brokers: 127.0.0.1:1}\nplugins:\n"
                             "  - {name: s, type: lua, path: " +
                                 path + ", topics: t, lua: {max_script_mb: 1}}\n");
        EXPECT_EQ(r.exit_code, 78) << r.output;
        EXPECT_NE(r.output.find("fanoutd.yaml:3:32: plugin 's': "), std::string::npos) << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
    }
}

TEST(Cli, VersionAndHelp) {
    auto r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("fanoutd 0.1.0 (plugin ABI " + std::to_string(fanout::k_abi_version) + ","), std::string::npos)
        << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("--check-config"), std::string::npos) << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string(), "--bogus"});
    EXPECT_EQ(r.exit_code, 64) << r.output;
    r = run_command({(fanout::test::bin_dir() / "fanoutd").string()});
    EXPECT_EQ(r.exit_code, 64) << r.output;
}
