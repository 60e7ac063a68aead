#include "post_query_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "process.hpp"

namespace fanout::test {
namespace {

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

std::vector<std::string> serve_args(const std::string& database, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--database", database, "--listen", "127.0.0.1:0", "--log-format", "plain"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

PostQueryProcess::PostQueryProcess(std::vector<std::string> args, std::filesystem::path log_file)
    : args_(std::move(args)), log_file_(std::move(log_file)) {}

PostQueryProcess::~PostQueryProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

bool PostQueryProcess::start(std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {(bin_dir() / "post-query").string()};
    argv.insert(argv.end(), args_.begin(), args_.end());
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    pid_ = pid;
    status_ = -1;
    static const std::regex listening(R"(listening on [^\s]+:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        const std::string text = log();
        if (std::regex_search(text, m, listening)) {
            port_ = std::stoi(m[1].str());
            return true;
        }
        if (!running()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "post-query did not report its port (exit " << status_ << "); log:\n" << log();
    return false;
}

void PostQueryProcess::signal(int sig) {
    if (pid_ > 0 && status_ == -1) ::kill(pid_, sig);
}

bool PostQueryProcess::running() {
    if (pid_ <= 0 || status_ != -1) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = decode(status);
        return false;
    }
    return true;
}

int PostQueryProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

std::string PostQueryProcess::log() const { return read_file(log_file_); }

bool PostQueryProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (log().find(text) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace fanout::test
