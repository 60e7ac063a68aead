#include "private_postgres.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include "kafka_test.hpp"

using namespace std::chrono_literals;

namespace fanout::test {
namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::filesystem::path private_run_base() {
    const auto base = std::filesystem::temp_directory_path() / unique_name("fanout-pg");
    std::filesystem::create_directories(base);
    // The server runs as `postgres` when the tests run as root: it must reach its dir.
    std::filesystem::permissions(base, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                           std::filesystem::perms::others_exec);
    return base;
}

}  // namespace

PrivatePostgres::PrivatePostgres() : port_(free_port()), run_base_(private_run_base()) {
    const RunResult r = tool("start", 180s);
    if (r.exit_code != 0) throw std::runtime_error("postgres-dev.sh start failed:\n" + r.output);
    conn_ = tool("conn", 10s).output;
    while (!conn_.empty() && conn_.back() == '\n') conn_.pop_back();
}

PrivatePostgres::~PrivatePostgres() {
    tool("stop", 120s);
    std::error_code ec;
    std::filesystem::remove_all(run_base_, ec);
}

void PrivatePostgres::stop() { pg_ctl("stop -m fast -w -t 60"); }

void PrivatePostgres::start() { pg_ctl("start -w -t 60 -l " + (run_dir() / "postgres.log").string()); }

std::filesystem::path PrivatePostgres::run_dir() const { return run_base_ / ("pg-" + std::to_string(port_)); }

RunResult PrivatePostgres::tool(const std::string& command, std::chrono::milliseconds timeout) const {
    return run_command({"/usr/bin/env", "PG_PORT=" + std::to_string(port_), "FANOUT_RUN_DIR=" + run_base_.string(),
                        std::string(FANOUT_SOURCE_DIR) + "/tools/postgres-dev.sh", command},
                       timeout);
}

void PrivatePostgres::pg_ctl(const std::string& args) const {
    const std::string pg_ctl = "/usr/lib/postgresql/15/bin/pg_ctl " + args + " -D " + (run_dir() / "data").string();
    const std::string as_server = ::geteuid() == 0 ? "runuser -u postgres -- " + pg_ctl : pg_ctl;
    const RunResult r = run_command({"/bin/sh", "-c", "cd " + run_dir().string() + " && " + as_server}, 120s);
    if (r.exit_code != 0) throw std::runtime_error("pg_ctl " + args + " failed:\n" + r.output);
}

}  // namespace fanout::test
