#include "process.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

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

std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

void mark_start(const std::filesystem::path& log_file) {
    std::ofstream mark(log_file, std::ios::app);
    mark << "---- start ----\n";
}

FanoutdProcess::FanoutdProcess(std::filesystem::path config, std::filesystem::path log_file,
                               std::vector<std::string> extra_args) {
    options().argv = {(bin_dir() / "fanoutd").string(), "--config", config.string(), "--log-format", "plain"};
    options().argv.insert(options().argv.end(), extra_args.begin(), extra_args.end());
    // Chasing a rare failure: FANOUT_TEST_FANOUTD_LOG_LEVEL=debug runs every
    // daemon a test starts at that level.
    if (const char* level = std::getenv("FANOUT_TEST_FANOUTD_LOG_LEVEL"); level != nullptr && *level != '\0') {
        options().argv.insert(options().argv.end(), {"--log-level", level});
    }
    options().log = std::move(log_file);
}

void FanoutdProcess::start() {
    mark_start(options().log);
    ChildProcess::start();
}

int admin_port(const FanoutdProcess& fanoutd) {
    // No std::regex: GCC 12 warns inside it under the sanitizers.
    const std::string log = fanoutd.log(), marker = "admin listening on 127.0.0.1:";
    const auto at = log.find(marker);
    return at == std::string::npos ? -1 : std::atoi(log.c_str() + at + marker.size());
}

RunResult run_fanoutctl(const FanoutdProcess& fanoutd, const std::vector<std::string>& args,
                        const std::filesystem::path& token_file, std::chrono::milliseconds timeout) {
    std::vector<std::string> all = {(bin_dir() / "fanoutctl").string(), "--admin",
                                    "127.0.0.1:" + std::to_string(admin_port(fanoutd))};
    if (!token_file.empty()) all.insert(all.end(), {"--token-file", token_file.string()});
    all.insert(all.end(), args.begin(), args.end());
    return run_command(all, timeout);
}

}  // namespace fanout::test
