#pragma once
// Kafka clients and topic administration for tests and benchmarks (the
// librdkafka C API, as fanoutd uses it).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace fanout::harness {

using KafkaClient = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

/// A client of `brokers` with `props` set (throws on a bad property);
/// `configure` may add callbacks to the configuration before the client exists.
KafkaClient make_client(rd_kafka_type_t type, const std::string& brokers, const KafkaProperties& props = {},
                        const std::function<void(rd_kafka_conf_t*)>& configure = {});

enum class IfTopicExists { fail, accept };

/// One CreateTopics request for `topic` (replication 1, topic-level
/// `config` such as max.message.bytes), not waiting for leaders: "" when
/// the broker took it, else the error text.
std::string send_create_topic(rd_kafka_t* rk, const std::string& topic, int partitions,
                              IfTopicExists if_exists = IfTopicExists::fail, const KafkaProperties& config = {});
/// send_create_topic, then wait until every partition has a leader; throws
/// on failure or after 30 s.
void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions,
                  IfTopicExists if_exists = IfTopicExists::fail, const KafkaProperties& config = {});
/// One DeleteTopics request: "" when the broker took it, else the error
/// text. The deletion itself completes in the background.
std::string send_delete_topic(rd_kafka_t* rk, const std::string& topic);
/// Best effort: a missing topic or group is no error.
void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics);
void delete_groups(rd_kafka_t* rk, const std::vector<std::string>& groups);
/// Partitions of `topic` once all have a leader: -1 unknown topic, 0 while a
/// leader is missing.
int topic_partitions(rd_kafka_t* rk, const std::string& topic);
/// Wait until topic_partitions() is `partitions`; false at `timeout`.
bool wait_for_topic(rd_kafka_t* rk, const std::string& topic, int partitions, std::chrono::milliseconds timeout);
/// High watermark per partition. A failed query is retried until `retry_for`
/// passed (0: no retry), then throws.
std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions,
                                      std::chrono::milliseconds retry_for = std::chrono::milliseconds(0));
/// Low and high watermark of one partition, asked of its leader; throws
/// when the query fails.
std::pair<std::int64_t, std::int64_t> watermarks(rd_kafka_t* rk, const std::string& topic, std::int32_t partition);
/// DeleteRecords: move the partition's start (low watermark) to `before`,
/// as retention would. Returns the new low watermark; throws on failure.
std::int64_t delete_records_before(rd_kafka_t* rk, const std::string& topic, std::int32_t partition,
                                   std::int64_t before);
/// Committed offset per partition of `group` (-1 where none); throws when
/// the query fails.
std::vector<std::int64_t> committed_offsets(const std::string& brokers, const std::string& group,
                                            const std::string& topic, int partitions);

/// The admin helper as an object: one client of `brokers`.
class KafkaAdmin {
public:
    explicit KafkaAdmin(const std::string& brokers, const KafkaProperties& props = {});

    rd_kafka_t* handle() const { return client_.get(); }
    const std::string& brokers() const { return brokers_; }

    void create_topic(const std::string& topic, int partitions, IfTopicExists if_exists = IfTopicExists::fail,
                      const KafkaProperties& config = {}) {
        harness::create_topic(handle(), topic, partitions, if_exists, config);
    }
    void delete_topics(const std::vector<std::string>& topics) { harness::delete_topics(handle(), topics); }
    void delete_groups(const std::vector<std::string>& groups) { harness::delete_groups(handle(), groups); }
    int topic_partitions(const std::string& topic) { return harness::topic_partitions(handle(), topic); }
    std::vector<std::int64_t> end_offsets(const std::string& topic, int partitions,
                                          std::chrono::milliseconds retry_for = std::chrono::milliseconds(0)) {
        return harness::end_offsets(handle(), topic, partitions, retry_for);
    }
    std::vector<std::int64_t> committed(const std::string& group, const std::string& topic, int partitions) {
        return committed_offsets(brokers_, group, topic, partitions);
    }

private:
    std::string brokers_;
    KafkaClient client_;
};

}  // namespace fanout::harness
