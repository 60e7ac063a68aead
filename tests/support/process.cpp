#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fanout::test {

std::filesystem::path bin_dir() { return FANOUT_TEST_BIN_DIR; }
std::filesystem::path lib_dir() { return FANOUT_TEST_LIB_DIR; }

TempDir::TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("fanout-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    if (std::getenv("FANOUT_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream out(p);
    out << text;
    return p;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

namespace {

int spawn(const std::vector<std::string>& argv, const std::filesystem::path& output,
          const std::vector<std::pair<std::string, std::string>>& env = {}) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    TempDir dir;
    const auto out = dir / "output";
    const int pid = spawn(argv, out);
    RunResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        const int w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            r.exit_code = decode(status);
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            r.exit_code = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.output = read_file(out);
    return r;
}

FanoutdProcess::FanoutdProcess(std::filesystem::path config, std::filesystem::path log_file,
                               std::vector<std::string> extra_args)
    : config_(std::move(config)), log_file_(std::move(log_file)), extra_args_(std::move(extra_args)) {}

FanoutdProcess::~FanoutdProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void FanoutdProcess::start() {
    std::vector<std::string> argv = {(bin_dir() / "fanoutd").string(), "--config", config_.string(), "--log-format",
                                     "plain"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    // Chasing a rare failure: FANOUT_TEST_FANOUTD_LOG_LEVEL=debug runs every
    // daemon a test starts at that level.
    if (const char* level = std::getenv("FANOUT_TEST_FANOUTD_LOG_LEVEL"); level != nullptr && *level != '\0') {
        argv.insert(argv.end(), {"--log-level", level});
    }
    {
        std::ofstream mark(log_file_, std::ios::app);
        mark << "---- start ----\n";
    }
    pid_ = spawn(argv, log_file_, env_);
    status_ = -1;
}

void FanoutdProcess::signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

bool FanoutdProcess::running() {
    if (pid_ <= 0 || status_ != -1) return false;
    int status = 0;
    const int w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
        status_ = decode(status);
        return false;
    }
    return true;
}

int FanoutdProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

std::string FanoutdProcess::log() const { return read_file(log_file_); }

bool FanoutdProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::string content = log();
        int count = 0;
        for (std::size_t pos = content.find(text); pos != std::string::npos; pos = content.find(text, pos + 1)) ++count;
        if (count >= times) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace fanout::test
