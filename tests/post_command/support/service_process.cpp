#include "service_process.hpp"

#include "process.hpp"

namespace fanout::test {

ServiceProcess::ServiceProcess(std::filesystem::path log_file, std::vector<std::string> args) {
    options().log = std::move(log_file);
    set_args(std::move(args));
}

void ServiceProcess::set_args(std::vector<std::string> args) {
    args.insert(args.begin(), (bin_dir() / "post-command").string());
    options().argv = std::move(args);
}

int ServiceProcess::start(std::chrono::milliseconds timeout) {
    mark_start(options().log);
    ChildProcess::start();
    port_ = wait_for_listening_port(timeout);
    return port_;
}

}  // namespace fanout::test
