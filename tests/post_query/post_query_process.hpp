#pragma once
// build/bin/post-query as a real child process on a port it picks itself.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fanout/harness/child_process.hpp"

namespace fanout::test {

class PostQueryProcess : public harness::ChildProcess {
public:
    /// `args` follow the executable; output (stdout+stderr) goes to `log_file`.
    PostQueryProcess(std::vector<std::string> args, std::filesystem::path log_file);

    /// Start and wait for the `listening on HOST:PORT` line; false (with the
    /// log in a test failure) when it exits or stays silent past `timeout`.
    bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    int port() const { return port_; }

private:
    int port_ = 0;
};

/// The args to serve `database` on an ephemeral loopback port with plain logs.
std::vector<std::string> serve_args(const std::string& database, std::vector<std::string> extra = {});

}  // namespace fanout::test
