#include "service_process.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>

#include "fanout/harness/proc_stat.hpp"

namespace fanout::bench {

ServiceProcess::ServiceProcess(std::string name, const std::vector<std::string>& argv, const std::filesystem::path& log)
    : name_(std::move(name)) {
    harness::SpawnOptions options;
    options.argv = argv;
    options.log = log;
    options.truncate_log = true;
    child_ = harness::ChildProcess(std::move(options));
    child_.start();
}

ServiceProcess::~ServiceProcess() { child_.terminate(std::chrono::seconds(60)); }

std::string ServiceProcess::wait_for(const std::string& pattern, std::chrono::seconds timeout) {
    if (auto match = child_.wait_for_match(pattern, timeout)) return *match;
    throw std::runtime_error(name_ + " did not log /" + pattern + "/:\n" + child_.log());
}

int ServiceProcess::listening_port(std::chrono::seconds timeout) {
    return std::stoi(wait_for(R"(listening on [0-9.]+:([0-9]+))", timeout));
}

double ServiceProcess::cpu_seconds() const { return harness::proc_cpu_seconds(child_.pid()); }

void busy_loop() {
    volatile std::uint64_t spin = 0;
    for (;;) spin = spin + 1;
}

std::vector<harness::ChildProcess> busy_load(int processes) {
    std::vector<harness::ChildProcess> out;
    for (int i = 0; i < processes; ++i) {
        harness::SpawnOptions options;
        options.argv = {"/proc/self/exe", k_busy_loop_argument};
        out.emplace_back(std::move(options)).start();
    }
    return out;
}

}  // namespace fanout::bench
