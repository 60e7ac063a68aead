#pragma once
// A shared, thread-safe Kafka producer that waits for each acknowledgement.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.hpp"
#include "kafka.hpp"

namespace fanout::daemon {

/// Idempotent producer with acks=all. Used for dead letters and for events
/// that plugins derive (Lua's fanout.emit). Rare enough that waiting for
/// each acknowledgement is the right trade: nothing is reported done before
/// the broker has it.
class SyncProducer {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    SyncProducer(const DaemonSettings& settings, const std::string& client_id);
    ~SyncProducer();

    SyncProducer(const SyncProducer&) = delete;
    SyncProducer& operator=(const SyncProducer&) = delete;

    /// What became of one record: `code` is NO_ERROR once the broker has it.
    struct Result {
        rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
        std::string error;  ///< empty on success
        bool ok() const noexcept { return code == RD_KAFKA_RESP_ERR_NO_ERROR; }
        /// The record (or its batch) exceeds a size limit: the producer's
        /// message.max.bytes or the topic's max.message.bytes. Sending it
        /// again as it is can never succeed.
        bool too_large() const noexcept {
            return code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || code == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
                   code == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE;
        }
    };

    /// Produce one record and wait for the broker (at most message.timeout.ms,
    /// 30 s).
    Result produce(std::string_view topic, std::string_view key, std::string_view value, const Headers& headers);
    /// produce() as a string: empty on success, else the error.
    std::string send(std::string_view topic, std::string_view key, std::string_view value, const Headers& headers) {
        return produce(topic, key, value, headers).error;
    }

    /// One record of produce_all(); views, valid during the call.
    struct Record {
        std::string_view key, value;
        const Headers* headers = nullptr;
    };
    /// Produce `records` in order, many in flight at once, and wait for all:
    /// the first error, or success once the broker has every one. Retries
    /// cannot reorder them (idempotence).
    Result produce_all(std::string_view topic, std::span<const Record> records);

private:
    KafkaHandle producer_;
};

}  // namespace fanout::daemon
