#include "test_env.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <gtest/gtest.h>

namespace fanout::test {
namespace {

/// The value of `name`, or a test failure that says how to set it.
std::string required_env(const std::string& name, const std::string& how_to_set) {
    const char* env = std::getenv(name.c_str());
    if (env == nullptr || *env == '\0') {
        ADD_FAILURE() << name << " is not set: run tools/test.sh, or " << how_to_set;
        throw std::runtime_error(name + " unset");
    }
    return env;
}

}  // namespace

std::string to_string(DbBackend backend) { return backend == DbBackend::sqlite ? "sqlite" : "postgresql"; }

std::string brokers() {
    return required_env("FANOUT_TEST_BROKERS",
                        "start a broker with tools/kafka-dev.sh start and export "
                        "FANOUT_TEST_BROKERS=$(tools/kafka-dev.sh bootstrap)");
}

std::string postgres_server() {
    return required_env("FANOUT_TEST_PG",
                        "start a server with tools/postgres-dev.sh start and export "
                        "FANOUT_TEST_PG=\"$(tools/postgres-dev.sh conn)\"");
}

std::string unique_name(const std::string& prefix, char separator) {
    static std::atomic<int> counter{0};
    const std::string sep(1, separator);
    return prefix + sep + std::to_string(::getpid()) + sep +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000) + sep +
           std::to_string(counter++);
}

}  // namespace fanout::test
