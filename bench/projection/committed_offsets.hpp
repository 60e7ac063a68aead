#pragma once
// A consumer group's progress on one topic, as its committed offsets.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka_topic.hpp"

namespace fanout::bench {

/// Reads a group's committed offsets from a client of its own, which never
/// joins the group. The first read looks up the coordinator: do one before
/// a clock starts.
class CommittedOffsets {
public:
    CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic, int partitions);
    ~CommittedOffsets();
    CommittedOffsets(CommittedOffsets&& other) noexcept;
    CommittedOffsets& operator=(CommittedOffsets&&) = delete;

    /// Per partition (-1 where nothing is committed), or nothing when the
    /// request failed.
    std::optional<std::vector<std::int64_t>> read();
    /// Events committed over all partitions, or -1 when the request failed.
    std::int64_t total();

private:
    RdKafka client_;
    rd_kafka_topic_partition_list_t* list_;
};

/// The sum of `offsets`, negative ones (nothing committed) as 0.
std::int64_t sum_of(const std::vector<std::int64_t>& offsets);

}  // namespace fanout::bench
