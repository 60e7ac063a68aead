#pragma once
// Child processes for tests and benchmarks: fanoutd, post-command,
// post-query, pg_ctl, kcat. One fork/exec, one wait, one way to read what a
// child logged and to wait for its readiness line.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fanout::harness {

using Environment = std::vector<std::pair<std::string, std::string>>;

/// How to start a child.
struct SpawnOptions {
    /// The executable first: an absolute path, or a name looked up in PATH
    /// when `search_path`.
    std::vector<std::string> argv;
    /// Set in the child on top of the parent's environment.
    Environment env;
    /// stdout and stderr both go here when set (created if missing).
    std::filesystem::path log;
    /// Truncate `log` at start instead of appending to it.
    bool truncate_log = false;
    /// Without `log`: where stdout and stderr go (-1: the parent's).
    int stdout_fd = -1;
    int stderr_fd = -1;
    bool search_path = false;
};

/// fork + exec. stdin is /dev/null and the signal mask is cleared in the
/// child; an exec failure exits 127 after saying why on stderr. Throws when
/// fork fails. The caller reaps the child (wait_exit_code or ChildProcess).
pid_t spawn(const SpawnOptions& options);

/// A waitpid status as an exit code: the code, or 128 + signal when killed.
int exit_code_of(int wait_status);

/// Reap `pid` within `timeout` (0: just look); its exit code, or nullopt when
/// it still runs.
std::optional<int> wait_exit_code(pid_t pid, std::chrono::milliseconds timeout);

/// A file's whole text ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

/// How often `text` occurs in `haystack`, overlapping occurrences included.
int count_occurrences(const std::string& haystack, const std::string& text);

/// Result of running a command to completion.
struct RunResult {
    int exit_code = -1;  ///< -1 when killed at the timeout
    std::string output;  ///< stdout and stderr together
};
/// Run `argv` (absolute path first) to completion, SIGKILL at `timeout`.
RunResult run_command(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// A child with its output in a log file, killed (SIGKILL) and reaped at
/// destruction if it still runs. May be started again after it exited.
class ChildProcess {
public:
    ChildProcess() = default;
    explicit ChildProcess(SpawnOptions options) : options_(std::move(options)) {}
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    SpawnOptions& options() { return options_; }
    const SpawnOptions& options() const { return options_; }

    /// Spawn; the log up to here is no longer part of log_since_start().
    void start();
    pid_t pid() const { return pid_; }
    /// Reaps the child once it exited.
    bool running();
    /// Send `sig` while the child runs.
    void signal(int sig);
    /// SIGKILL and reap.
    void kill9();
    /// Exit code (128 + signal when killed), or -1 when still running at `timeout`.
    int wait_exit(std::chrono::milliseconds timeout);
    /// SIGTERM and wait_exit(timeout): -1 when it still runs, and then the
    /// stacks of its threads (gdb, when installed) are appended to its log.
    int stop(std::chrono::milliseconds timeout);
    /// Appends the stacks of every thread of the running child to its log,
    /// under a header that says `why`; a note instead when gdb is missing.
    void append_thread_stacks(const std::string& why);
    /// SIGTERM, then SIGKILL after `grace`; the exit code.
    int terminate(std::chrono::milliseconds grace);
    /// The last exit code, -1 while running or never started.
    int exit_code() const { return status_; }

    /// Everything in the log file (all starts).
    std::string log() const;
    /// What the current start logged.
    std::string log_since_start() const;
    /// Wait until the log (all of it, or since this start) holds `text`
    /// `times` times; false at `timeout`.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times = 1,
                      bool since_start = false) const;
    /// Wait for the first match of the regular expression `pattern` in what
    /// this start logged; its group 1 (or the whole match). nullopt when the
    /// child exits or `timeout` passes first.
    std::optional<std::string> wait_for_match(const std::string& pattern, std::chrono::milliseconds timeout);
    /// wait_for_match on `listening on HOST:PORT`, the line fanoutd's admin
    /// server, post-command and post-query print when ready; the port or -1.
    int wait_for_listening_port(std::chrono::milliseconds timeout);

private:
    SpawnOptions options_;
    std::size_t log_offset_ = 0;
    pid_t pid_ = -1;
    int status_ = -1;
};

}  // namespace fanout::harness
