#include "fanout/harness/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fanout::harness {

using Clock = std::chrono::steady_clock;

pid_t spawn(const SpawnOptions& options) {
    if (options.argv.empty()) throw std::invalid_argument("spawn: empty argv");
    // Everything the child needs is ready before fork: it only redirects and execs.
    std::vector<char*> args;
    for (const auto& a : options.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int log_flags = O_WRONLY | O_CREAT | (options.truncate_log ? O_TRUNC : O_APPEND);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid > 0) return pid;

    int out_fd = options.stdout_fd;
    int err_fd = options.stderr_fd;
    if (!options.log.empty()) {
        const int fd = ::open(options.log.c_str(), log_flags, 0644);
        out_fd = fd;
        err_fd = fd;
    }
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    if (!options.log.empty() && out_fd > STDERR_FILENO) ::close(out_fd);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Unblock everything the parent may have blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [name, value] : options.env) ::setenv(name.c_str(), value.c_str(), 1);
    if (options.search_path) {
        ::execvp(args[0], args.data());
    } else {
        ::execv(args[0], args.data());
    }
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
}

int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return -1;
}

std::optional<int> wait_exit_code(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return exit_code_of(status);
        if (r < 0 && errno != EINTR) return -1;  // not our child (any more)
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int count_occurrences(const std::string& haystack, const std::string& text) {
    int count = 0;
    for (auto pos = haystack.find(text); pos != std::string::npos; pos = haystack.find(text, pos + 1)) ++count;
    return count;
}

RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    std::random_device rd;
    const auto out = std::filesystem::temp_directory_path() /
                     ("fanout-run-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + ".out");
    SpawnOptions options;
    options.argv = argv;
    options.log = out;
    options.truncate_log = true;
    const pid_t pid = spawn(options);
    RunResult r;
    if (const auto code = wait_exit_code(pid, timeout)) {
        r.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    r.output = read_file(out);
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return r;
}

ChildProcess::~ChildProcess() {
    if (running()) kill9();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : options_(std::move(other.options_)),
      log_offset_(other.log_offset_),
      pid_(std::exchange(other.pid_, -1)),
      status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (running()) kill9();
        options_ = std::move(other.options_);
        log_offset_ = other.log_offset_;
        pid_ = std::exchange(other.pid_, -1);
        status_ = other.status_;
    }
    return *this;
}

void ChildProcess::start() {
    log_offset_ = options_.log.empty() || options_.truncate_log ? 0 : read_file(options_.log).size();
    pid_ = spawn(options_);
    status_ = -1;
}

bool ChildProcess::running() {
    if (pid_ <= 0 || status_ != -1) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = exit_code_of(status);
        return false;
    }
    return true;
}

void ChildProcess::signal(int sig) {
    if (running()) ::kill(pid_, sig);
}

void ChildProcess::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) status_ = exit_code_of(status);
}

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (running()) {
        if (Clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

int ChildProcess::stop(std::chrono::milliseconds timeout) {
    signal(SIGTERM);
    const int code = wait_exit(timeout);
    if (code == -1 && running()) {
        append_thread_stacks("did not exit within " + std::to_string(timeout.count()) + " ms of SIGTERM");
    }
    return code;
}

void ChildProcess::append_thread_stacks(const std::string& why) {
    if (options_.log.empty() || pid_ <= 0) return;
    std::ofstream out(options_.log, std::ios::app);
    out << "\n---- thread stacks of pid " << pid_ << " (" << why << ") ----\n";
    static constexpr const char* k_gdb = "/usr/bin/gdb";
    if (::access(k_gdb, X_OK) != 0) {
        out << "(gdb is not installed: no stacks)\n";
        return;
    }
    out.flush();
    const RunResult r = run_command({k_gdb, "-p", std::to_string(pid_), "-batch", "-nx", "-ex", "set pagination off",
                                     "-ex", "thread apply all bt"},
                                    std::chrono::seconds(60));
    out << r.output << "---- end of the stacks (gdb exit " << r.exit_code << ") ----\n";
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (stop(grace) == -1) kill9();
    return status_;
}

std::string ChildProcess::log() const { return read_file(options_.log); }

std::string ChildProcess::log_since_start() const {
    const std::string all = log();
    return all.size() > log_offset_ ? all.substr(log_offset_) : std::string();
}

bool ChildProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times,
                                bool since_start) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (count_occurrences(since_start ? log_since_start() : log(), text) >= times) return true;
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::optional<std::string> ChildProcess::wait_for_match(const std::string& pattern, std::chrono::milliseconds timeout) {
    const std::regex re(pattern);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        // The log first: a child that printed the line and exited still matches.
        std::smatch m;
        const std::string text = log_since_start();
        if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
        if (!running() || Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int ChildProcess::wait_for_listening_port(std::chrono::milliseconds timeout) {
    const auto port = wait_for_match(R"(listening on [^\s]+:(\d+))", timeout);
    return port ? std::stoi(*port) : -1;
}

}  // namespace fanout::harness
