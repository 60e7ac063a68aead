#pragma once
// build/bin/post-query as a real child process on a port it picks itself.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fanout::test {

class PostQueryProcess {
public:
    /// `args` follow the executable; output (stdout+stderr) goes to `log_file`.
    PostQueryProcess(std::vector<std::string> args, std::filesystem::path log_file);
    ~PostQueryProcess();  ///< SIGKILL if still running
    PostQueryProcess(const PostQueryProcess&) = delete;
    PostQueryProcess& operator=(const PostQueryProcess&) = delete;

    /// Start and wait for the `listening on HOST:PORT` line; false (with the
    /// log in a test failure) when it exits or stays silent past `timeout`.
    bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    int port() const { return port_; }

    void signal(int sig);
    /// Exit code (128+signal if killed) or -1 on timeout.
    int wait_exit(std::chrono::milliseconds timeout);
    bool running();
    std::string log() const;
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const;

private:
    std::vector<std::string> args_;
    std::filesystem::path log_file_;
    int pid_ = -1;
    int status_ = -1;
    int port_ = 0;
};

/// The args to serve `database` on an ephemeral loopback port with plain logs.
std::vector<std::string> serve_args(const std::string& database, std::vector<std::string> extra = {});

}  // namespace fanout::test
