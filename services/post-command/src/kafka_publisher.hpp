#pragma once
// Publishes stored events to Kafka and waits for the broker's
// acknowledgement of each: idempotent producer, acks=all, so a record is
// reported published only once every in-sync replica has it, and librdkafka's
// own retries neither duplicate nor reorder within a partition.
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
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

/// One record's delivery report, written by librdkafka's callback while the
/// owner serves the producer's queue. Must stay at its address until finished.
struct Delivery {
    bool finished = false;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

struct PublishResult {
    std::size_t acknowledged = 0;  ///< leading events the broker acknowledged
    std::string error;             ///< why the next one was not (empty on full success)
    bool abandoned = false;        ///< stopped by `give_up` before all were acknowledged
};

class KafkaPublisher {
public:
    /// Throws std::invalid_argument naming a bad property. `on_report`, when
    /// given, is called from a librdkafka thread whenever delivery reports
    /// are waiting to be served (the queue went from empty to non-empty): a
    /// caller that waits on its own condition can wake up for them.
    KafkaPublisher(const KafkaSettings& settings, const std::string& client_id,
                   std::function<void()> on_report = {});
    ~KafkaPublisher();

    KafkaPublisher(const KafkaPublisher&) = delete;
    KafkaPublisher& operator=(const KafkaPublisher&) = delete;

    /// Produce `events` in order to `topic` (key = post id, headers per the
    /// contract plus `extra_headers`) and wait for every acknowledgement, or
    /// until `give_up()` returns true (then what is unacknowledged is purged).
    PublishResult publish(const std::string& topic, std::span<const StoredEvent> events,
                          const ExtraHeaders& extra_headers, const std::function<bool()>& give_up);

    /// Pipelined use: hand one event to the producer without waiting.
    /// `delivery` is finished by a later serve() (or purge()). Returns
    /// RD_KAFKA_RESP_ERR__QUEUE_FULL when the local queue is full (nothing
    /// was produced; serve and try again) or another error when the record
    /// is refused outright.
    rd_kafka_resp_err_t produce(const std::string& topic, const StoredEvent& event, const ExtraHeaders& extra_headers,
                                Delivery* delivery);
    /// Serve waiting delivery reports, blocking at most `timeout_ms` for the first.
    void serve(int timeout_ms);
    /// Drop everything not yet acknowledged; their reports arrive (as
    /// purged) on the next serve() calls.
    void purge();

    /// A fatal (idempotence) error: this producer must be replaced.
    bool fatal() const;
    /// The client's last error (a broker down, authentication refused) since
    /// a record was last acknowledged; empty when there was none.
    std::string client_error() const;

private:
    struct QueueDeleter {
        void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
    };
    static void on_queue_event(rd_kafka_t*, void* opaque);

    static void on_client_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    static void on_delivered(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

    std::function<void()> on_report_;
    mutable std::mutex client_error_mutex_;
    std::string client_error_;
    struct Deleter {
        void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
    };
    std::unique_ptr<rd_kafka_t, Deleter> producer_;
    std::unique_ptr<rd_kafka_queue_t, QueueDeleter> main_queue_;  // destroyed before the producer
};

/// Check librdkafka properties without connecting; throws std::invalid_argument.
void validate_kafka_settings(const KafkaSettings& settings);

}  // namespace fanout::post_command
