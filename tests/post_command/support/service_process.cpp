#include "service_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "process.hpp"

namespace fanout::test {
namespace {

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

ServiceProcess::ServiceProcess(std::filesystem::path log_file, std::vector<std::string> args)
    : log_file_(std::move(log_file)), args_(std::move(args)) {}

ServiceProcess::~ServiceProcess() {
    if (running()) kill9();
}

int ServiceProcess::start(std::chrono::milliseconds timeout) {
    {
        std::ofstream mark(log_file_, std::ios::app);
        mark << "---- start ----\n";
    }
    log_offset_ = read_file(log_file_).size();
    std::vector<std::string> argv = {(bin_dir() / "post-command").string()};
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
    port_ = -1;
    static const std::regex listening(R"(listening on [0-9.]+:([0-9]+))");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && running()) {
        std::smatch m;
        const std::string text = current_log();
        if (std::regex_search(text, m, listening)) {
            port_ = std::stoi(m[1].str());
            return port_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
}

void ServiceProcess::signal(int sig) {
    if (running()) ::kill(pid_, sig);
}

void ServiceProcess::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
}

bool ServiceProcess::running() {
    if (pid_ <= 0 || status_ != -1) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = decode(status);
        return false;
    }
    return true;
}

int ServiceProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

int ServiceProcess::stop(std::chrono::milliseconds timeout) {
    signal(SIGTERM);
    return wait_exit(timeout);
}

std::string ServiceProcess::log() const { return read_file(log_file_); }

std::string ServiceProcess::current_log() const {
    const std::string all = read_file(log_file_);
    return all.size() > log_offset_ ? all.substr(log_offset_) : std::string();
}

bool ServiceProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::string content = current_log();
        int count = 0;
        for (auto pos = content.find(text); pos != std::string::npos; pos = content.find(text, pos + 1)) ++count;
        if (count >= times) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace fanout::test
