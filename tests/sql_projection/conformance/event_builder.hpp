#pragma once
// Post event envelopes (docs/events.md) as the SDK's FakeEvents at
// consecutive offsets of one partition, and outcomes as text.
#include <cstdint>
#include <string>
#include <vector>

#include "fanout/outcome.hpp"
#include "fanout/testing.hpp"

namespace fanout::test {

using FakeEvent = fanout::testing::FakeEvent;

inline constexpr const char* k_topic = "post-events";

/// A record as fanoutd reads it from Kafka.
FakeEvent record(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload, std::string key);

/// `text` as a JSON string literal.
std::string json_string(const std::string& text);

std::string created_data(const std::string& author, const std::string& message, const std::string& date);
std::string message_data(const std::string& message);
std::string comment_added_data(const std::string& id, const std::string& comment, const std::string& user,
                               const std::string& date);
std::string comment_updated_data(const std::string& id, const std::string& comment, const std::string& user,
                                 const std::string& edit_date);
std::string comment_removed_data(const std::string& id);

class PartitionEvents {
public:
    explicit PartitionEvents(int partition = 0, std::int64_t first_offset = 0)
        : partition_(partition), offset_(first_offset) {}

    FakeEvent next(const std::string& type, const std::string& post, std::int64_t version,
                   const std::string& data = "{}");
    /// Any payload (malformed ones included) at the next offset.
    FakeEvent raw(const std::string& payload);
    /// An already-built envelope (e.g. from EventGenerator).
    FakeEvent envelope(const std::string& value, const std::string& key) { return raw_keyed(value, key); }
    std::int64_t next_offset() const { return offset_; }

private:
    FakeEvent raw_keyed(const std::string& payload, const std::string& key);
    int partition_;
    std::int64_t offset_;
    std::int64_t sequence_ = 0;
};

/// "done", "reject: <reason>", "retry_later: <reason>" per outcome.
std::vector<std::string> describe(const std::vector<Outcome>& outcomes);
/// Outcome kinds only.
std::vector<std::string> kinds(const std::vector<Outcome>& outcomes);
bool all_done(const std::vector<Outcome>& outcomes);

}  // namespace fanout::test
