// fanoutctl rebuild and rebuild status against fake_admin.py, a stand-in for
// fanoutd's admin endpoint that answers the rebuild routes as the generation
// contract says: the progress line (in place on a terminal, every 5 s
// otherwise), the switch, a failure, fanoutd's refusals, exit codes, --json.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "rebuild-test-token";

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::size_t lines_with(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

/// What one fanoutctl run wrote, stdout and stderr apart.
struct CtlRun {
    int exit_code = -1;  ///< -1 when killed at the deadline
    std::string out, err;
};

struct FanoutctlRebuild : ::testing::Test {
    TempDir dir;
    std::filesystem::path token_file = dir.write("control.token", std::string(k_token) + "\n");
    fanout::harness::ChildProcess admin;
    int port = -1;

    void SetUp() override {
        const char* python = std::getenv("FANOUT_TEST_PYTHON");
        ASSERT_TRUE(python != nullptr && *python != '\0')
            << "FANOUT_TEST_PYTHON is not set: run tools/test.sh, or export FANOUT_TEST_PYTHON=$(tools/python-env.sh)";
        admin.options().argv = {python, std::string(FANOUT_SOURCE_DIR) + "/tests/fanoutctl/fake_admin.py", k_token};
        admin.options().log = dir / "admin.log";
        admin.start();
        port = admin.wait_for_listening_port(20s);
        ASSERT_GT(port, 0) << admin.log();
    }

    std::vector<std::string> argv(std::vector<std::string> args, bool with_token = true) const {
        std::vector<std::string> all = {(bin_dir() / "fanoutctl").string(), "--admin",
                                        "127.0.0.1:" + std::to_string(port)};
        if (with_token) all.insert(all.end(), {"--token-file", token_file.string()});
        all.insert(all.end(), args.begin(), args.end());
        return all;
    }

    /// fanoutctl with stdout and stderr in files of their own (neither a terminal).
    CtlRun ctl(std::vector<std::string> args, bool with_token = true) const {
        fanout::harness::SpawnOptions options;
        options.argv = argv(std::move(args), with_token);
        const auto out = dir / "out", err = dir / "err";
        options.stdout_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        options.stderr_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const pid_t pid = fanout::harness::spawn(options);
        ::close(options.stdout_fd);
        ::close(options.stderr_fd);
        CtlRun run;
        const std::optional<int> code = fanout::harness::wait_exit_code(pid, 40s);
        if (!code) {
            ::kill(pid, SIGKILL);
            fanout::harness::wait_exit_code(pid, 5s);
        }
        run.exit_code = code.value_or(-1);
        run.out = read_file(out);
        run.err = read_file(err);
        return run;
    }

    /// fanoutctl on a pseudo-terminal: what the terminal showed, and the exit code.
    std::pair<int, std::string> ctl_on_terminal(std::vector<std::string> args) const {
        const std::vector<std::string> all = argv(std::move(args));
        int master = -1;
        const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
        if (pid == 0) {
            std::vector<char*> c_args;
            for (const auto& a : all) c_args.push_back(const_cast<char*>(a.c_str()));
            c_args.push_back(nullptr);
            ::execv(c_args[0], c_args.data());
            ::_exit(127);
        }
        EXPECT_GT(pid, 0) << "forkpty";
        std::string screen;
        const auto deadline = std::chrono::steady_clock::now() + 40s;
        while (pid > 0 && std::chrono::steady_clock::now() < deadline) {
            pollfd p{master, POLLIN, 0};
            if (::poll(&p, 1, 200) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break;  // EIO once the child closed its side
            screen.append(buf, static_cast<std::size_t>(n));
        }
        ::close(master);
        const std::optional<int> code = pid > 0 ? fanout::harness::wait_exit_code(pid, 5s) : std::nullopt;
        if (!code && pid > 0) {
            ::kill(pid, SIGKILL);
            fanout::harness::wait_exit_code(pid, 5s);
        }
        return {code.value_or(-1), screen};
    }

    /// Requests the stand-in was sent for `what` ("GET /rebuilds").
    std::size_t requests(const std::string& what) const { return lines_with(admin.log(), what + "\n"); }
};

rapidjson::Document parsed(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << text;
    return doc;
}

}  // namespace

TEST_F(FanoutctlRebuild, FollowsTheRebuildToTheSwitchAndSaysWhichGenerationIsLive) {
    const CtlRun run = ctl({"rebuild", "read_model"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "read_model: generation 2 is live\n");
    EXPECT_TRUE(contains(run.err, "rebuilding read_model into generation 2: 0.0% (0 of 50,000 events)\n")) << run.err;
    EXPECT_EQ(requests("POST /plugins/read_model/rebuild"), 1u) << admin.log();
    EXPECT_EQ(requests("GET /plugins/read_model/rebuild"), 3u) << "followed until switched, then stopped\n"
                                                               << admin.log();
}

TEST_F(FanoutctlRebuild, RewritesItsProgressLineInPlaceOnATerminal) {
    const auto [code, screen] = ctl_on_terminal({"rebuild", "read_model"});
    EXPECT_EQ(code, 0) << screen;
    EXPECT_TRUE(contains(screen,
                         "\rrebuilding read_model into generation 2: 24.7% (12,345 of 50,000 events, 5,300/s, "
                         "ETA 7 s)\x1b[K\rrebuilding read_model into generation 2: 80.0%"))
        << screen;
    EXPECT_TRUE(contains(screen, "100.0% (50,000 of 50,000 events, 9,800/s)\x1b[K\r\nread_model: generation 2 is live"))
        << "the switched line ends the progress line, without an ETA\n"
        << screen;
}

TEST_F(FanoutctlRebuild, WritesAProgressLineEveryFiveSecondsWhenStderrIsNoTerminal) {
    // slow answers 8 times, one a second: a line at the start and one about 5 s later.
    const CtlRun run = ctl({"rebuild", "slow"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "slow: generation 5 is live\n");
    const std::size_t lines = lines_with(run.err, "rebuilding slow into generation 5: ");
    EXPECT_GE(lines, 2u) << run.err;
    EXPECT_LE(lines, 3u) << "one line per answer is not every 5 s\n" << run.err;
    EXPECT_EQ(lines_with(run.err, "\r"), 0u) << run.err;
    EXPECT_TRUE(contains(run.err, "rebuilding slow into generation 5: 0.0% (0 of 1,000 events, 100/s, ETA 10 s)\n"))
        << run.err;
}

TEST_F(FanoutctlRebuild, KeepsFollowingWhileFanoutdRestartsAndResumesTheRebuild) {
    const CtlRun run = ctl({"rebuild", "restarted"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "restarted: generation 4 is live\n");
    EXPECT_EQ(requests("GET /plugins/restarted/rebuild"), 4u) << admin.log();
}

TEST_F(FanoutctlRebuild, AFailedRebuildExitsOneWithItsError) {
    const CtlRun run = ctl({"rebuild", "analytics"});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_TRUE(contains(run.err,
                         "fanoutctl: the rebuild of analytics into generation 3 failed: relation "
                         "\"analytics_g3.post_counts\" does not exist\n"))
        << run.err;
}

TEST_F(FanoutctlRebuild, ARefusedRebuildShowsFanoutdsMessageAndExits1NotTheTokenCode) {
    for (const auto& [plugin, message] :
         {std::pair<std::string, std::string>{"busy", "a rebuild of busy into generation 4 is running already"},
          {"webhook", "webhook keeps no checkpoints"}}) {
        const CtlRun run = ctl({"rebuild", plugin});
        EXPECT_EQ(run.exit_code, 1) << plugin << ": " << run.err;
        EXPECT_TRUE(contains(run.err, "fanoutctl: refused: " + message)) << run.err;
        EXPECT_EQ(requests("GET /plugins/" + plugin + "/rebuild"), 0u) << "nothing to follow";
    }
}

TEST_F(FanoutctlRebuild, AnUnknownPluginExits66) {
    const CtlRun run = ctl({"rebuild", "ghost"});
    EXPECT_EQ(run.exit_code, 66) << run.err;
    EXPECT_TRUE(contains(run.err, "no plugin named 'ghost'")) << run.err;
    EXPECT_EQ(ctl({"rebuild", "status", "ghost"}).exit_code, 66);
}

TEST_F(FanoutctlRebuild, NoTokenOrAWrongOneExits77AndAnUnreachableDaemon69) {
    const CtlRun none = ctl({"rebuild", "read_model"}, false);
    EXPECT_EQ(none.exit_code, 77) << none.err;
    EXPECT_TRUE(contains(none.err, "refused: a valid bearer token is required")) << none.err;
    const auto wrong = dir.write("wrong.token", "not-the-token\n");
    EXPECT_EQ(ctl({"--token-file", wrong.string(), "rebuild", "status"}, false).exit_code, 77);
    const CtlRun unreadable = ctl({"--token-file", (dir / "missing.token").string(), "rebuild", "read_model"}, false);
    EXPECT_EQ(unreadable.exit_code, 77) << unreadable.err;
    EXPECT_TRUE(contains(unreadable.err, "cannot read a token")) << unreadable.err;
    EXPECT_EQ(requests("POST /plugins/read_model/rebuild"), 1u) << "only the run without a token asked";

    const RunResult down = run_command({(bin_dir() / "fanoutctl").string(), "--admin", "127.0.0.1:1", "--token-file",
                                        token_file.string(), "rebuild", "read_model"},
                                       20s);
    EXPECT_EQ(down.exit_code, 69) << down.output;
    EXPECT_TRUE(contains(down.output, "cannot reach fanoutd's admin endpoint")) << down.output;
    EXPECT_EQ(
        run_command({(bin_dir() / "fanoutctl").string(), "--admin", "127.0.0.1:1", "rebuild", "status"}, 20s).exit_code,
        69);
    EXPECT_EQ(run_command({(bin_dir() / "fanoutctl").string(), "rebuild"}, 20s).exit_code, 64) << "a plugin or status";
}

TEST_F(FanoutctlRebuild, NoWaitReturnsRightAfterTheStart) {
    const CtlRun run = ctl({"rebuild", "read_model", "--no-wait"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "rebuilding read_model into generation 2 (fanoutctl rebuild status read_model follows it)\n");
    EXPECT_EQ(requests("GET /plugins/read_model/rebuild"), 0u) << admin.log();

    const CtlRun json = ctl({"rebuild", "read_model", "--no-wait", "--json"});
    EXPECT_EQ(json.exit_code, 0) << json.err;
    const rapidjson::Document doc = parsed(json.out);
    ASSERT_TRUE(doc.IsObject()) << json.out;
    EXPECT_STREQ(doc["state"].GetString(), "building");
}

TEST_F(FanoutctlRebuild, JsonPrintsTheFinalRebuildObject) {
    const CtlRun run = ctl({"rebuild", "read_model", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const rapidjson::Document doc = parsed(run.out);
    ASSERT_TRUE(doc.IsObject()) << run.out;
    EXPECT_STREQ(doc["state"].GetString(), "switched");
    EXPECT_EQ(doc["generation"].GetInt(), 2);
    EXPECT_EQ(doc["position"].GetInt(), 50000);
    EXPECT_TRUE(doc["switchedAt"].IsString());

    const CtlRun failed = ctl({"--json", "rebuild", "analytics"});
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    const rapidjson::Document f = parsed(failed.out);
    ASSERT_TRUE(f.IsObject()) << failed.out;
    EXPECT_STREQ(f["state"].GetString(), "failed");
    EXPECT_TRUE(f["error"].IsString());
}

TEST_F(FanoutctlRebuild, StatusShowsEveryRebuildOrOnePluginsAsATable) {
    const CtlRun all = ctl({"rebuild", "status"});
    EXPECT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(all.out,
              "PLUGIN      STATE     GENERATION  PROGRESS  ETA  STARTED\n"
              "read_model  building  2           24.7%     7 s  2026-12-06T01:00:00.000Z\n"
              "analytics   failed    3           15.6%     -    2026-12-06T01:00:00.000Z\n");
    EXPECT_EQ(requests("GET /rebuilds"), 1u);

    const CtlRun one = ctl({"rebuild", "status", "read_model"});
    EXPECT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(one.out,
              "PLUGIN      STATE     GENERATION  PROGRESS  ETA  STARTED\n"
              "read_model  building  2           24.7%     7 s  2026-12-06T01:00:00.000Z\n");

    const CtlRun json = ctl({"rebuild", "status", "--json"});
    EXPECT_EQ(json.exit_code, 0) << json.err;
    const rapidjson::Document doc = parsed(json.out);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("rebuilds") && doc["rebuilds"].IsArray()) << json.out;
    EXPECT_EQ(doc["rebuilds"].Size(), 2u);
}
