#pragma once
// Helpers for tests against the real Kafka broker started by tools/test.sh.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fanout::test {

/// Bootstrap servers from FANOUT_TEST_BROKERS. Fails the current test
/// (never skips) when unset: start one with `tools/kafka-dev.sh start`.
std::string brokers();

/// A name unique to this process and call, for topics and group prefixes.
std::string unique_name(const std::string& prefix);

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

/// Topic administration and offset inspection.
class KafkaAdmin {
public:
    KafkaAdmin();
    ~KafkaAdmin();
    KafkaAdmin(const KafkaAdmin&) = delete;
    KafkaAdmin& operator=(const KafkaAdmin&) = delete;

    void create_topic(const std::string& topic, int partitions);
    /// High watermark per partition.
    std::vector<std::int64_t> end_offsets(const std::string& topic, int partitions);
    /// Committed offset per partition for `group` (-1 where none).
    std::vector<std::int64_t> committed(const std::string& group, const std::string& topic, int partitions);

private:
    struct Impl;
    Impl* impl_;
};

/// Synchronous-enough producer: produce() queues, flush() waits for all.
class TestProducer {
public:
    TestProducer();
    ~TestProducer();
    TestProducer(const TestProducer&) = delete;
    TestProducer& operator=(const TestProducer&) = delete;

    void produce(const std::string& topic, const std::string& key, const std::string& value,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}, int partition = -1);
    /// Wait for every queued record; throws if any failed.
    void flush();

private:
    struct Impl;
    Impl* impl_;
};

/// Read every record of `topic` from the beginning until `count` were read
/// or `timeout` passed (no consumer group, nothing committed).
std::vector<Record> consume_all(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout);

}  // namespace fanout::test
