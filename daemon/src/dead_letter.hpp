#pragma once
// Produces permanently failed events to the dead-letter topic.
#include <string>

#include "config.hpp"
#include "fanout/event.hpp"
#include "kafka.hpp"

namespace fanout::daemon {

/// Where a dead letter came from and why; becomes `fanout.*` headers.
struct DeadLetterInfo {
    std::string plugin;
    std::string reason;
    int attempts = 1;
};

/// Thread-safe: every pipeline shares one. The record keeps the original
/// key, value and headers, plus headers fanout.plugin, fanout.reason,
/// fanout.attempts, fanout.source.topic, fanout.source.partition,
/// fanout.source.offset. Idempotent producer, acks=all.
class DeadLetterSink {
public:
    DeadLetterSink(const DaemonSettings& settings);
    ~DeadLetterSink();

    DeadLetterSink(const DeadLetterSink&) = delete;
    DeadLetterSink& operator=(const DeadLetterSink&) = delete;

    /// Produce and wait for the broker's acknowledgement (at most
    /// message.timeout.ms, 30 s). Returns an empty string on success, else
    /// the error: the caller treats that as transient and keeps the event.
    std::string send(const Event& event, const DeadLetterInfo& info);

    const std::string& topic() const noexcept { return topic_; }

private:
    std::string topic_;
    KafkaHandle producer_;
};

}  // namespace fanout::daemon
