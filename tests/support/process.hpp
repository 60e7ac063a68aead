#pragma once
// Running fanoutd as a real child process.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fanout/harness/child_process.hpp"

namespace fanout::test {

/// build/bin and build/lib of this build tree.
std::filesystem::path bin_dir();
std::filesystem::path lib_dir();

/// A fresh directory removed at destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    /// Write `text` to `name` in this directory; returns the path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

using harness::read_file;
std::vector<std::string> read_lines(const std::filesystem::path& path);

using harness::run_command;
using harness::RunResult;

/// Append the line that separates one start of a child from the next in its log.
void mark_start(const std::filesystem::path& log_file);

/// fanoutd in the background; stderr+stdout go to a log file.
class FanoutdProcess : public harness::ChildProcess {
public:
    FanoutdProcess(std::filesystem::path config, std::filesystem::path log_file,
                   std::vector<std::string> extra_args = {});

    /// Extra environment for the child (e.g. NOTIFY_SOCKET).
    void set_env(const std::string& name, const std::string& value) { options().env.emplace_back(name, value); }
    void start();
};

/// The port of fanoutd's admin server from its log, or -1 before it listens.
int admin_port(const FanoutdProcess& fanoutd);

/// `fanoutctl --admin 127.0.0.1:<fanoutd's admin port> [--token-file T] ARGS...`
/// to completion (killed at `timeout`); no token file when `token_file` is empty.
RunResult run_fanoutctl(const FanoutdProcess& fanoutd, const std::vector<std::string>& args,
                        const std::filesystem::path& token_file = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace fanout::test
