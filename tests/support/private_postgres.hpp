#pragma once
// A PostgreSQL server of a test's own (tools/postgres-dev.sh on a free port
// and a private run dir), so that stopping and restarting it disturbs nobody
// else.
#include <chrono>
#include <filesystem>
#include <string>

#include "process.hpp"

namespace fanout::test {

class PrivatePostgres {
public:
    /// Initialises and starts the server; throws when it cannot.
    PrivatePostgres();
    ~PrivatePostgres();
    PrivatePostgres(const PrivatePostgres&) = delete;
    PrivatePostgres& operator=(const PrivatePostgres&) = delete;

    /// libpq conninfo of the server.
    const std::string& conn() const { return conn_; }

    /// pg_ctl stop -m fast / start, keeping the data directory.
    void stop();
    void start();

private:
    std::filesystem::path run_dir() const;
    RunResult tool(const std::string& command, std::chrono::milliseconds timeout) const;
    void pg_ctl(const std::string& args) const;

    int port_;
    std::filesystem::path run_base_;
    std::string conn_;
};

}  // namespace fanout::test
