#pragma once
// RAII for librdkafka's C handles, and configuration building.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "config.hpp"

namespace fanout::daemon {

struct KafkaDeleter {
    void operator()(rd_kafka_t* p) const noexcept { rd_kafka_destroy(p); }
    void operator()(rd_kafka_conf_t* p) const noexcept { rd_kafka_conf_destroy(p); }
    void operator()(rd_kafka_message_t* p) const noexcept { rd_kafka_message_destroy(p); }
    void operator()(rd_kafka_topic_partition_list_t* p) const noexcept { rd_kafka_topic_partition_list_destroy(p); }
    void operator()(rd_kafka_headers_t* p) const noexcept { rd_kafka_headers_destroy(p); }
    void operator()(rd_kafka_queue_t* p) const noexcept { rd_kafka_queue_destroy(p); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaHeaders = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

/// Build a librdkafka configuration: brokers, fanoutd's `defaults`, the
/// user's pass-through properties (which may change the defaults), then
/// `overrides` (fanoutd's own settings win). Throws ConfigError naming the
/// offending property.
KafkaConf make_kafka_conf(const KafkaSettings& kafka, const KafkaProperties& overrides,
                          const std::filesystem::path& config_file, const KafkaProperties& defaults = {});

inline PartitionList make_partition_list(int capacity = 0) {
    return PartitionList(rd_kafka_topic_partition_list_new(capacity));
}

}  // namespace fanout::daemon
