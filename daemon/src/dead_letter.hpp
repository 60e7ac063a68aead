#pragma once
// Produces permanently failed events to the dead-letter topic.
#include <string>

#include "fanout/event.hpp"
#include "producer.hpp"

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
/// fanout.source.offset.
class DeadLetterSink {
public:
    DeadLetterSink(std::string topic, SyncProducer& producer) : topic_(std::move(topic)), producer_(producer) {}

    /// Returns an empty string once the broker has it, else the error: the
    /// caller treats that as transient and keeps the event.
    std::string send(const Event& event, const DeadLetterInfo& info);

    const std::string& topic() const noexcept { return topic_; }

private:
    std::string topic_;
    SyncProducer& producer_;
};

}  // namespace fanout::daemon
