#pragma once
// Publishes stored events to Kafka and waits for the broker's
// acknowledgement of each: idempotent producer, acks=all, so a record is
// reported published only once every in-sync replica has it, and librdkafka's
// own retries neither duplicate nor reorder within a partition.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "event_store.hpp"

namespace fanout::post_command {

struct KafkaSettings {
    std::string brokers = "127.0.0.1:19092";
    std::string topic = "post-events";
    /// librdkafka's message.timeout.ms: 0 waits for the broker forever (the
    /// relay never gives up on an event; the store keeps it anyway).
    int message_timeout_ms = 0;
    /// Pass-through librdkafka properties (security, tuning); ours win.
    std::vector<std::pair<std::string, std::string>> properties;
};

struct PublishResult {
    std::size_t acknowledged = 0;  ///< leading events the broker acknowledged
    std::string error;             ///< why the next one was not (empty on full success)
    bool abandoned = false;        ///< stopped by `give_up` before all were acknowledged
};

class KafkaPublisher {
public:
    /// Throws std::invalid_argument naming a bad property.
    KafkaPublisher(const KafkaSettings& settings, const std::string& client_id);
    ~KafkaPublisher();

    KafkaPublisher(const KafkaPublisher&) = delete;
    KafkaPublisher& operator=(const KafkaPublisher&) = delete;

    /// Produce `events` in order to `topic` (key = post id, headers per the
    /// contract plus `extra_headers`) and wait for every acknowledgement, or
    /// until `give_up()` returns true (then what is unacknowledged is purged).
    PublishResult publish(const std::string& topic, std::span<const StoredEvent> events,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers,
                          const std::function<bool()>& give_up);

    /// A fatal (idempotence) error: this producer must be replaced.
    bool fatal() const;

private:
    struct Deleter {
        void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
    };
    std::unique_ptr<rd_kafka_t, Deleter> producer_;
};

/// Check librdkafka properties without connecting; throws std::invalid_argument.
void validate_kafka_settings(const KafkaSettings& settings);

}  // namespace fanout::post_command
