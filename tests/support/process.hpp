#pragma once
// Running fanoutd as a real child process.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

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

std::string read_file(const std::filesystem::path& path);
std::vector<std::string> read_lines(const std::filesystem::path& path);

/// Result of running a command to completion.
struct RunResult {
    int exit_code = -1;
    std::string output;  ///< stdout and stderr together
};
RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// fanoutd in the background; stderr+stdout go to a log file.
class FanoutdProcess {
public:
    FanoutdProcess(std::filesystem::path config, std::filesystem::path log_file,
                   std::vector<std::string> extra_args = {});
    ~FanoutdProcess();  ///< SIGKILL if still running
    FanoutdProcess(const FanoutdProcess&) = delete;
    FanoutdProcess& operator=(const FanoutdProcess&) = delete;

    /// Extra environment for the child (e.g. NOTIFY_SOCKET).
    void set_env(const std::string& name, const std::string& value) { env_.emplace_back(name, value); }
    void start();
    void signal(int sig);
    /// Exit code (128+signal if killed) or -1 on timeout.
    int wait_exit(std::chrono::milliseconds timeout);
    bool running();
    int pid() const { return pid_; }
    std::string log() const;
    /// Wait until the log contains `text` (count occurrences >= times).
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times = 1) const;

private:
    std::filesystem::path config_;
    std::filesystem::path log_file_;
    std::vector<std::string> extra_args_;
    std::vector<std::pair<std::string, std::string>> env_;
    int pid_ = -1;
    int status_ = -1;
};

}  // namespace fanout::test
