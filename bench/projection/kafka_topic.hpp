#pragma once
// Kafka for the benchmark: clients, topic admin, loading generated events.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace fanout::bench {

using RdKafka = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

RdKafka make_client(rd_kafka_type_t type, const std::string& brokers,
                    const std::vector<std::pair<std::string, std::string>>& props);
void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions);
/// Best effort: a benchmark topic holds hundreds of MB on the shared broker.
void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics);
/// High watermark per partition.
std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions);
/// Produce `events` generated events (fanout/tests/support/events.hpp,
/// seed 42) over `posts` posts; `each(value)` sees every event's JSON value
/// in production order (to fold a reference), when set.
void load_topic(const std::string& brokers, const std::string& topic, std::size_t events, std::size_t posts,
                const std::function<void(const std::string& value)>& each = {});

}  // namespace fanout::bench
