#pragma once
// A shared, thread-safe Kafka producer that waits for each acknowledgement.
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

    /// Produce one record and wait for the broker (at most message.timeout.ms,
    /// 30 s). Returns an empty string on success, else the error.
    std::string send(std::string_view topic, std::string_view key, std::string_view value, const Headers& headers);

private:
    KafkaHandle producer_;
};

}  // namespace fanout::daemon
