#include "process_watch.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "child_process.hpp"
#include "fanout/harness/child_process.hpp"

namespace fanout::bench {

pid_t spawn_with_fds(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
    harness::SpawnOptions options;
    options.argv = argv;
    options.stdout_fd = stdout_fd;
    options.stderr_fd = stderr_fd;
    options.search_path = true;
    return harness::spawn(options);
}

ExitInfo wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    ExitInfo info;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const pid_t r = wait4(pid, &info.status, WNOHANG, &info.usage);
        if (r == pid) {
            info.exited = true;
            return info;
        }
        if (r < 0 && errno != EINTR) {
            info.exited = true;  // not our child any more
            return info;
        }
        if (Clock::now() >= deadline) return info;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

long proc_status_kb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
    return -1;
}

namespace {

/// Host-wide CPU jiffies: {busy, total}.
std::pair<double, double> host_cpu_jiffies() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    const double busy = user + nice + system + irq + softirq + steal;
    return {busy, busy + idle + iowait};
}

}  // namespace

CpuWatch::CpuWatch(pid_t broker_pid)
    : broker_pid_(broker_pid),
      host_(host_cpu_jiffies()),
      broker_(broker_pid_ > 0 ? proc_cpu_seconds(broker_pid_) : -1) {}

double CpuWatch::host_busy() const {
    const auto [busy, total] = host_cpu_jiffies();
    return total > host_.second ? (busy - host_.first) / (total - host_.second) : 0;
}

double CpuWatch::broker_cpu() const {
    if (broker_ < 0) return -1;
    const double now = proc_cpu_seconds(broker_pid_);
    return now < 0 ? -1 : now - broker_;
}

std::string read_tail(const std::filesystem::path& file, std::size_t max_bytes) {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > max_bytes ? "..." + text.substr(text.size() - max_bytes) : text;
}

int count_lines_with(const std::filesystem::path& file, std::initializer_list<std::string_view> needles) {
    std::ifstream in(file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        for (auto needle : needles) {
            if (line.find(needle) != std::string::npos) {
                ++n;
                break;
            }
        }
    }
    return n;
}

std::string first_line_of_command(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return "?";
    char buf[512] = {0};
    if (std::fgets(buf, sizeof buf, p) == nullptr) buf[0] = 0;
    pclose(p);
    std::string s = buf;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace fanout::bench
