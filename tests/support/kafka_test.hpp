#pragma once
// Helpers for tests against the real Kafka broker started by tools/test.sh.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fanout/harness/kafka_admin.hpp"
#include "test_env.hpp"

namespace fanout::test {

/// Poll `condition` every 50 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

struct Record {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;

    std::string header(const std::string& name) const;
};

/// Topic administration and offset inspection on the test broker. An
/// existing topic is no error: tests share the broker.
class KafkaAdmin : public harness::KafkaAdmin {
public:
    KafkaAdmin() : harness::KafkaAdmin(test::brokers()) {}
    void create_topic(const std::string& topic, int partitions) {
        harness::KafkaAdmin::create_topic(topic, partitions, harness::IfTopicExists::accept);
    }
};

/// Synchronous-enough producer: produce() queues, flush() waits for all.
class TestProducer {
public:
    TestProducer();
    ~TestProducer();

    void produce(const std::string& topic, const std::string& key, const std::string& value,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}, int partition = -1);
    /// Wait for every queued record; throws if any failed.
    void flush();

private:
    std::unique_ptr<std::atomic<int>> failures_;  ///< where the delivery callback counts
    harness::KafkaClient producer_;
};

/// Read every record of `topic` from the beginning until `count` were read
/// or `timeout` passed (no consumer group, nothing committed).
std::vector<Record> consume_all(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout);

}  // namespace fanout::test
