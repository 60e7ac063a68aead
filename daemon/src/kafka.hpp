#pragma once
// RAII for librdkafka's C handles, configuration building, and closing a
// group consumer safely.
#include <chrono>
#include <functional>
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

/// librdkafka's log callback: its lines in fanoutd's log, at their level.
void log_from_kafka(const rd_kafka_t* rk, int level, const char* facility, const char* message);

inline PartitionList make_partition_list(int capacity = 0) {
    return PartitionList(rd_kafka_topic_partition_list_new(capacity));
}

/// How long close_consumer() waits, at most, for a consumer's first rebalance.
inline constexpr std::chrono::milliseconds k_first_rebalance_wait{10'000};

/// Leave the group and destroy a subscribed cooperative-sticky consumer, at
/// any moment of its life (before it joined, between joining and its first
/// assignment, mid-rebalance) without aborting the process; kafka.cpp says
/// which librdkafka sequence this avoids. `consumer` is empty afterwards.
///
/// `rebalanced` answers whether the consumer's rebalance callback has run
/// at least once. Until it has, the consumer is polled here for up to
/// `patience`, which serves that callback; a message polled meanwhile is
/// dropped unhandled (its offset is never stored, so it is delivered again).
/// Call from the thread that polls the consumer. Returns false when the
/// handle was closed but, to stay alive, deliberately not destroyed.
bool close_consumer(KafkaHandle& consumer, const std::function<bool()>& rebalanced, std::chrono::milliseconds patience,
                    const std::string& name);

}  // namespace fanout::daemon
