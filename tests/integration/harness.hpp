#pragma once
// Shared pieces of the integration tests: producing, audit log reading,
// topic administration. Config text: fanoutd_config.hpp.
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "events.hpp"
#include "fanoutd_config.hpp"
#include "kafka_test.hpp"
#include "process.hpp"

namespace fanout::test {

/// Produce `count` generated events to `topic`; returns them in order.
/// `flush_every` > 0 flushes after each that many events: small record batches.
std::vector<GeneratedEvent> produce_events(const std::string& topic, std::size_t count, std::size_t posts = 100,
                                           std::size_t flush_every = 0);

using Coordinate = std::pair<std::int32_t, std::int64_t>;  ///< partition, offset

/// Coordinates in an example-plugin audit log (JSON lines).
std::multiset<Coordinate> audit_coordinates(const std::filesystem::path& file);

/// One line of the scripted test plugin's record.
struct Delivery {
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
    std::string key;
    std::string outcome;
    std::int64_t batch = 0;  ///< the handle() call it came in (scripted plugin), 1-based
};
std::vector<Delivery> read_deliveries(const std::filesystem::path& file);

/// Every offset below the end offset of each partition, as a set.
std::set<Coordinate> all_coordinates(const std::vector<std::int64_t>& end_offsets);

/// Create `topic` with topic-level configuration (e.g. max.message.bytes),
/// then wait until every partition has a leader.
void create_topic_with_config(const std::string& topic, int partitions,
                              const std::vector<std::pair<std::string, std::string>>& config);

/// Delete `topic` and create it again, empty, with `partitions` (as an
/// operator or a fresh broker would): its offsets start at 0 again.
void recreate_topic(const std::string& topic, int partitions);

/// DeleteRecords: move the partition's start (low watermark) to `before`, as
/// retention would. Returns the new low watermark.
std::int64_t delete_records_before(const std::string& topic, std::int32_t partition, std::int64_t before);

/// Low and high watermark of one partition, asked of its leader.
std::pair<std::int64_t, std::int64_t> watermarks(const std::string& topic, std::int32_t partition);

/// True when every committed offset equals the end offset.
bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions);

}  // namespace fanout::test
