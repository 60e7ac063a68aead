#include "post_query_process.hpp"

#include <gtest/gtest.h>

#include "process.hpp"

namespace fanout::test {

std::vector<std::string> serve_args(const std::string& database, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--database", database, "--listen", "127.0.0.1:0", "--log-format", "plain"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

PostQueryProcess::PostQueryProcess(std::vector<std::string> args, std::filesystem::path log_file) {
    args.insert(args.begin(), (bin_dir() / "post-query").string());
    options().argv = std::move(args);
    options().log = std::move(log_file);
}

bool PostQueryProcess::start(std::chrono::milliseconds timeout) {
    ChildProcess::start();
    const int port = wait_for_listening_port(timeout);
    if (port >= 0) {
        port_ = port;
        return true;
    }
    ADD_FAILURE() << "post-query did not report its port (exit " << exit_code() << "); log:\n" << log();
    return false;
}

}  // namespace fanout::test
