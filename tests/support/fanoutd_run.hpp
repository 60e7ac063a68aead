#pragma once
// One test's fanoutd on the real broker: a fresh topic, consumer group prefix
// and dead-letter topic of its own, a temporary directory for the config and
// the log, and the checks every such test makes (all committed, a clean stop).
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "kafka_test.hpp"
#include "process.hpp"

namespace fanout::test {

class FanoutdRun {
public:
    /// Names start with `name` (the group prefix; the dead-letter topic
    /// `name`-dlq); the topic itself is created by the test.
    explicit FanoutdRun(const std::string& name = "g")
        : topic(unique_name("posts")), prefix(unique_name(name)), dlq(unique_name(name + "-dlq")) {}

    /// fanoutd on `config` (YAML text, written to fanoutd.yaml), started.
    FanoutdProcess& start(const std::string& config) {
        fanoutd_.emplace(dir.write("fanoutd.yaml", config), dir / "fanoutd.log");
        fanoutd_->start();
        return *fanoutd_;
    }
    FanoutdProcess& fanoutd() { return *fanoutd_; }

    /// The consumer group of `plugin`.
    std::string group(const std::string& plugin) const { return prefix + "." + plugin; }
    /// `plugin` has committed every partition of the topic up to its end.
    bool committed(const std::string& plugin, int partitions) {
        return admin.committed(group(plugin), topic, partitions) == admin.end_offsets(topic, partitions);
    }
    /// Waits up to `timeout` for committed(plugin, partitions); fails with the log.
    ::testing::AssertionResult wait_committed(const std::string& plugin, int partitions,
                                              std::chrono::milliseconds timeout) {
        if (wait_until([&] { return committed(plugin, partitions); }, timeout)) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << plugin << " did not commit " << topic << "\n" << fanoutd_->log();
    }
    /// SIGTERM; fanoutd exits 0 within `timeout`.
    void stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        fanoutd_->signal(SIGTERM);
        EXPECT_EQ(fanoutd_->wait_exit(timeout), 0) << fanoutd_->log();
    }

    const std::string topic;
    const std::string prefix;
    const std::string dlq;
    KafkaAdmin admin;
    TempDir dir;

private:
    std::optional<FanoutdProcess> fanoutd_;
};

}  // namespace fanout::test
