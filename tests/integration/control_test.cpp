// The operator's control verbs on the real broker, through fanoutctl: a
// paused plugin holds its offsets while the others go on, a reload keeps it
// paused, resume continues with no gap and no replay; the verbs are refused
// without the token, and off without a configured one.
#include <signal.h>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "b7e1c0de-operator-token";

struct Control : TopicTest {
    std::filesystem::path token_file = dir.write("control.token", std::string(k_token) + "\n");

    /// Three scripted plugins a, b, c, each with its own record; the admin
    /// endpoint on a free port, with `admin_extra` lines under `admin:`.
    std::string config(const std::string& admin_extra) {
        std::vector<PluginSpec> plugins;
        for (const char* name : {"a", "b", "c"}) {
            plugins.push_back({name, "libfanout_test_scripted.so",
                               "      record_path: " + (dir / name).string() + "\n", ""});
        }
        return with_admin(make_config(prefix, dlq, topic, plugins), admin_extra);
    }

    RunResult ctl(const FanoutdProcess& fanoutd, const std::vector<std::string>& args) {
        return run_fanoutctl(fanoutd, args, {}, 30s);
    }

    bool committed(const std::string& plugin) { return fully_committed(admin, prefix + "." + plugin, topic, 1); }
};

/// Offsets the plugin's record shows as done, with how often each was.
std::map<std::int64_t, int> done_counts(const std::filesystem::path& record) {
    std::map<std::int64_t, int> counts;
    for (const Delivery& d : read_deliveries(record)) {
        if (d.outcome == "done") ++counts[d.offset];
    }
    return counts;
}

}  // namespace

TEST_F(Control, APausedPluginHoldsItsOffsetsThroughAReloadAndResumesWithNoGapAndNoReplay) {
    admin.create_topic(topic, 1);
    produce_numbered(topic, 0, 50);
    const auto config_file = dir.write("fanoutd.yaml", config("  control_token_file: control.token\n"));
    FanoutdProcess fanoutd(config_file, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return committed("a") && committed("b") && committed("c"); }, 60s)) << fanoutd.log();

    const RunResult paused = ctl(fanoutd, {"--token-file", token_file.string(), "pause", "b"});
    ASSERT_EQ(paused.exit_code, 0) << paused.output;
    EXPECT_EQ(paused.output, "paused b\n");
    ASSERT_TRUE(fanoutd.wait_for_log("[b] paused by an operator", 30s)) << fanoutd.log();
    EXPECT_TRUE(has(ctl(fanoutd, {"--json", "status"}).output, R"("paused":true)"));

    produce_numbered(topic, 50, 50);
    ASSERT_TRUE(wait_until([&] { return committed("a") && committed("c"); }, 60s)) << fanoutd.log();
    std::this_thread::sleep_for(1s);  // b had the time to take more, and must not have
    EXPECT_EQ(done_counts(dir / "b").size(), 50u) << "b holds at offset 50";
    EXPECT_EQ(admin.committed(prefix + ".b", topic, 1), std::vector<std::int64_t>{50});

    // A reload (SIGHUP) does not undo the pause.
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("reload applied", 30s)) << fanoutd.log();
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(done_counts(dir / "b").size(), 50u) << "still paused after the reload";
    const RunResult table = ctl(fanoutd, {"status"});
    EXPECT_EQ(table.exit_code, 0) << table.output;
    EXPECT_TRUE(has(table.output, "PLUGIN")) << table.output;
    const auto b_row = table.output.find("\nb ");
    ASSERT_NE(b_row, std::string::npos) << table.output;
    EXPECT_TRUE(has(table.output.substr(b_row, table.output.find('\n', b_row + 1) - b_row), "running  yes"))
        << "b: running, paused\n"
        << table.output;

    const RunResult resumed = ctl(fanoutd, {"--token-file", token_file.string(), "resume", "b"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    ASSERT_TRUE(wait_until([&] { return committed("b"); }, 60s)) << fanoutd.log();
    for (const char* name : {"a", "b", "c"}) {
        const auto counts = done_counts(dir / name);
        EXPECT_EQ(counts.size(), 100u) << name << ": every event";
        EXPECT_TRUE(std::all_of(counts.begin(), counts.end(), [](const auto& c) { return c.second == 1; }))
            << name << ": each exactly once";
    }
    EXPECT_EQ(fanoutd.stop(20s), 0);
}

TEST_F(Control, ControlVerbsNeedTheTokenAndAreOffWithoutOne) {
    admin.create_topic(topic, 1);
    produce_numbered(topic, 0, 5);
    {
        FanoutdProcess fanoutd(dir.write("fanoutd.yaml", config("  control_token_file: control.token\n")),
                               dir / "fanoutd.log");
        fanoutd.start();
        ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0 && committed("a"); }, 60s)) << fanoutd.log();

        const RunResult no_token = ctl(fanoutd, {"pause", "a"});
        EXPECT_EQ(no_token.exit_code, 77) << no_token.output;
        EXPECT_TRUE(has(no_token.output, "a valid bearer token is required")) << no_token.output;
        const auto wrong = dir.write("wrong.token", "not-the-token\n");
        const RunResult wrong_token = ctl(fanoutd, {"--token-file", wrong.string(), "pause", "a"});
        EXPECT_EQ(wrong_token.exit_code, 77) << wrong_token.output;
        const RunResult unknown = ctl(fanoutd, {"--token-file", token_file.string(), "pause", "nobody"});
        EXPECT_EQ(unknown.exit_code, 66) << unknown.output;
        EXPECT_FALSE(has(fanoutd.log(), "paused by an operator")) << fanoutd.log();
        EXPECT_FALSE(has(fanoutd.log(), k_token)) << "the token never reaches the log";
        const RunResult status = ctl(fanoutd, {"status"});
        EXPECT_EQ(status.exit_code, 0) << "read-only status needs no token: " << status.output;
        EXPECT_EQ(fanoutd.stop(20s), 0);
    }
    FanoutdProcess open(dir.write("fanoutd-open.yaml", config("")), dir / "fanoutd-open.log");
    open.start();
    ASSERT_TRUE(wait_until([&] { return admin_port(open) > 0; }, 60s)) << open.log();
    const RunResult off = ctl(open, {"--token-file", token_file.string(), "pause", "a"});
    EXPECT_EQ(off.exit_code, 77) << off.output;
    EXPECT_TRUE(has(off.output, "control endpoints are off")) << off.output;
    EXPECT_EQ(open.stop(20s), 0);
}

TEST_F(Control, PausesAndResumesInQuickSuccessionWhileEventsFlowLoseAndRepeatNothing) {
    admin.create_topic(topic, 2);
    const auto config_file = dir.write("fanoutd.yaml", config("  control_token_file: control.token\n"));
    FanoutdProcess fanoutd(config_file, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0; }, 30s)) << fanoutd.log();
    // Events keep coming while b is paused and resumed 20 times, some of
    // them back to back (the pipeline sees only the last request).
    std::thread producer([&] { produce_events(topic, 3000, 50, 100); });
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(ctl(fanoutd, {"--token-file", token_file.string(), "pause", "b"}).exit_code, 0);
        if (i % 3 != 0) std::this_thread::sleep_for(50ms);
        EXPECT_EQ(ctl(fanoutd, {"--token-file", token_file.string(), "resume", "b"}).exit_code, 0);
    }
    producer.join();
    for (const char* name : {"a", "b", "c"}) {
        ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + "." + name, topic, 2); }, 60s))
            << name << "\n"
            << fanoutd.log();
    }
    for (const char* name : {"a", "b", "c"}) {
        std::map<std::pair<std::int32_t, std::int64_t>, int> counts;
        for (const Delivery& d : read_deliveries(dir / name)) {
            if (d.outcome == "done") ++counts[{d.partition, d.offset}];
        }
        EXPECT_EQ(counts.size(), 3000u) << name << ": every event";
        EXPECT_TRUE(std::all_of(counts.begin(), counts.end(), [](const auto& c) { return c.second == 1; }))
            << name << ": each exactly once";
    }
    EXPECT_EQ(fanoutd.stop(20s), 0);
}

TEST(Fanoutctl, BadUsageAndAnUnreachableDaemonHaveTheirExitCodes) {
    const std::string ctl = (bin_dir() / "fanoutctl").string();
    EXPECT_EQ(run_command({ctl}, 10s).exit_code, 64) << "a verb is required";
    EXPECT_EQ(run_command({ctl, "pause"}, 10s).exit_code, 64) << "pause needs a plugin";
    EXPECT_EQ(run_command({ctl, "--admin", "nowhere", "status"}, 10s).exit_code, 64);
    const RunResult name = run_command({ctl, "pause", "../etc"}, 10s);
    EXPECT_EQ(name.exit_code, 64) << name.output;
    EXPECT_TRUE(has(name.output, "is not a plugin name")) << name.output;
    const RunResult down = run_command({ctl, "--admin", "127.0.0.1:1", "status"}, 10s);
    EXPECT_EQ(down.exit_code, 69) << down.output;
    EXPECT_TRUE(has(down.output, "cannot reach fanoutd's admin endpoint")) << down.output;
    EXPECT_EQ(run_command({ctl, "--help"}, 10s).exit_code, 0);
}
