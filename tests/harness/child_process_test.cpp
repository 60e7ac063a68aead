// The test harness's child processes: a child that ignores SIGTERM leaves
// its thread stacks in its log, so a hung stop in CI says where it hung.
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "fanout/harness/child_process.hpp"

using namespace std::chrono_literals;

namespace {

/// A shell running `script` (which echoes "ready" first), logging to a fresh temporary file.
fanout::harness::ChildProcess started_shell(const std::string& name, const std::string& script) {
    const auto log = std::filesystem::temp_directory_path() /
                     ("fanout-harness-" + std::to_string(::getpid()) + "-" + name + ".log");
    std::filesystem::remove(log);
    fanout::harness::SpawnOptions options;
    options.argv = {"/bin/sh", "-c", script};
    options.log = log;
    fanout::harness::ChildProcess child(options);
    child.start();
    EXPECT_TRUE(child.wait_for_log("ready", 10s)) << child.log();
    return child;
}

}  // namespace

TEST(ChildProcess, AStopThatTimesOutAppendsTheThreadStacksToTheLog) {
    auto child = started_shell("stuck", "trap '' TERM; echo ready; while :; do sleep 1; done");
    EXPECT_EQ(child.stop(300ms), -1);
    ASSERT_TRUE(child.running());
    const std::string text = child.log();
    EXPECT_NE(text.find("---- thread stacks of pid " + std::to_string(child.pid()) +
                        " (did not exit within 300 ms of SIGTERM) ----"),
              std::string::npos)
        << text;
    if (::access("/usr/bin/gdb", X_OK) == 0) {
        // gdb's backtrace of the shell's only thread: frame #0 and the end marker with its exit code.
        EXPECT_NE(text.find("#0 "), std::string::npos) << text;
        EXPECT_NE(text.find("---- end of the stacks (gdb exit 0) ----"), std::string::npos) << text;
    } else {
        EXPECT_NE(text.find("gdb is not installed"), std::string::npos) << text;
    }
    child.kill9();
    std::filesystem::remove(child.options().log);
}

TEST(ChildProcess, AStopInTimeAppendsNothing) {
    auto child = started_shell("clean", "echo ready; exec sleep 30");
    EXPECT_EQ(child.stop(10s), 128 + SIGTERM);
    EXPECT_EQ(child.log().find("thread stacks"), std::string::npos) << child.log();
    std::filesystem::remove(child.options().log);
}
