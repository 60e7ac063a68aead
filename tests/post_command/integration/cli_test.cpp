// The post-command binary: configuration errors exit 78 with file:line:col,
// start-up failures exit 69, SIGTERM exits 0.
#include <gtest/gtest.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

std::string binary() { return (bin_dir() / "post-command").string(); }

}  // namespace

TEST(PostCommandCli, UnknownConfigKeyExits78WithItsLocation) {
    TempDir dir;
    const auto file = dir.write("bad.yaml", "listen:\n  port: 0\nkafka:\n  brokers: x\n  topics: [a]\n");
    const RunResult r = run_command({binary(), "--config", file.string()});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find(file.string() + ":5:3: unknown key 'topics' in kafka"), std::string::npos) << r.output;
}

TEST(PostCommandCli, BadYamlAndBadValuesExit78) {
    TempDir dir;
    const auto broken = dir.write("broken.yaml", "listen: {port: 1\n");
    RunResult r = run_command({binary(), "--config", broken.string()});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find(broken.string() + ":"), std::string::npos) << r.output;
    r = run_command({binary(), "--event-store", "mysql://nope"});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    r = run_command({binary(), "--listen", "localhost"});
    EXPECT_EQ(r.exit_code, 78) << r.output;
}

TEST(PostCommandCli, CheckConfigValidatesWithoutStarting) {
    // The shipped config has authentication on: its secret file is the deployment's, given here by the flag.
    TempDir dir;
    const auto secret = dir.write("jwt.secret", "0123456789abcdef0123456789abcdef\n");
    const RunResult r = run_command({binary(), "--config",
                                     (std::filesystem::path(FANOUT_SOURCE_DIR) / "config/post-command.yaml").string(),
                                     "--auth-hs256-secret-file", secret.string(), "--check-config"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(PostCommandCli, AStoreThatCannotBeOpenedExits69) {
    const RunResult r = run_command({binary(), "--listen", "127.0.0.1:0", "--event-store",
                                     "sqlite:/nonexistent-dir/for/sure/events.db", "--brokers", dead_brokers()});
    EXPECT_EQ(r.exit_code, 69) << r.output;
    EXPECT_NE(r.output.find("cannot start"), std::string::npos) << r.output;
}

TEST(PostCommandCli, SigtermStopsCleanlyWithExitZero) {
    TempDir dir;
    ServiceProcess process(dir / "log", {"--listen", "127.0.0.1:0", "--event-store",
                                         "sqlite:" + (dir / "events.db").string(), "--brokers", brokers()});
    const int port = process.start();
    ASSERT_GT(port, 0) << process.log();
    {
        CommandClient http(port);  // closed before the stop: an idle keep-alive would hold it 5 s
        EXPECT_FALSE(http.new_post("alice", "bye").empty());
    }
    EXPECT_EQ(process.stop(30s), 0) << process.log();
    EXPECT_NE(process.log().find("stopped cleanly"), std::string::npos) << process.log();
}
