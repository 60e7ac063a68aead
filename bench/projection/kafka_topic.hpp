#pragma once
// Kafka for the benchmark: clients and topic admin (fanout_harness), loading
// generated events.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fanout/harness/kafka_admin.hpp"

namespace fanout::bench {

using RdKafka = harness::KafkaClient;
using harness::create_topic;
using harness::delete_topics;
using harness::make_client;

/// High watermark per partition; a failing query is retried for 30 s.
inline std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
    return harness::end_offsets(rk, topic, partitions, std::chrono::seconds(30));
}

/// Produce `events` generated events (fanout/tests/support/events.hpp,
/// seed 42) over `posts` posts; `each(value)` sees every event's JSON value
/// in production order (to fold a reference), when set.
void load_topic(const std::string& brokers, const std::string& topic, std::size_t events, std::size_t posts,
                const std::function<void(const std::string& value)>& each = {});

}  // namespace fanout::bench
