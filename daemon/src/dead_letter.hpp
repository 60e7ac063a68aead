#pragma once
// Produces permanently failed events to the dead-letter topic.
#include <cstddef>
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

/// How a dead letter went.
struct DeadLetterResult {
    std::string error;       ///< empty once the broker has the record
    bool truncated = false;  ///< the record is a truncated copy (too large whole)
    /// Not even the smallest copy fits the size limits: sending again cannot
    /// succeed, so the caller must not wait for it (a misconfigured limit).
    bool too_large = false;
    bool ok() const noexcept { return error.empty(); }
};

/// Thread-safe: every pipeline shares one. The record keeps the original
/// key, value and headers, plus headers fanout.plugin, fanout.reason,
/// fanout.attempts, fanout.source.topic, fanout.source.partition,
/// fanout.source.offset.
///
/// A record too large for the producer's or the topic's size limit (the
/// added headers can push a record near the limit over it) is sent again
/// truncated: the value cut to its first k_kept_value_bytes, marked with
/// fanout.truncated, fanout.original.size and fanout.original.sha256; if
/// even that is too large, with an empty value and without the original
/// headers. The event's coordinates always travel, so the whole record can
/// be read from the source topic while it is retained.
class DeadLetterSink {
public:
    static constexpr std::size_t k_kept_value_bytes = 1024;

    DeadLetterSink(std::string topic, SyncProducer& producer) : topic_(std::move(topic)), producer_(producer) {}

    /// Blocks until the broker answered. An error the caller treats as
    /// transient (keeps the event, retries later) unless `too_large`.
    DeadLetterResult send(const Event& event, const DeadLetterInfo& info);

    const std::string& topic() const noexcept { return topic_; }

private:
    std::string topic_;
    SyncProducer& producer_;
};

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace fanout::daemon
