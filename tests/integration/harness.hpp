#pragma once
// Shared pieces of the integration tests: producing, audit log reading,
// topic administration. Config text: fanoutd_config.hpp.
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "events.hpp"
#include "fanoutd_config.hpp"
#include "kafka_test.hpp"
#include "process.hpp"

namespace fanout::test {

/// What a test on a topic of its own has: names no other test uses, an
/// admin client and a directory. The test creates the topic (partition
/// counts differ).
struct TopicScope {
    std::string topic = unique_name("posts");
    std::string prefix = unique_name("g");
    std::string dlq = unique_name("dlq");
    KafkaAdmin admin;
    TempDir dir;

    /// make_config(prefix, dlq, topic, plugins) as dir/fanoutd.yaml.
    std::filesystem::path write_config(const std::vector<PluginSpec>& plugins) const {
        return dir.write("fanoutd.yaml", make_config(prefix, dlq, topic, plugins));
    }
};

/// TopicScope as a GoogleTest fixture.
struct TopicTest : ::testing::Test, TopicScope {};

/// `count` plain events on partition 0 with keys k-0..k-(count-1), except
/// index `special` which gets `special_key`.
void produce_keyed(const std::string& topic, int count, int special, const std::string& special_key);

/// Plain events `first`..`first + count - 1` on partition 0, keyed k-N.
void produce_numbered(const std::string& topic, int first, int count);

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
/// Offsets of the deliveries with outcome "done".
std::set<std::int64_t> done_offsets(const std::vector<Delivery>& deliveries);

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

/// fanoutd's /metrics on `admin_port`, read by Prometheus' own parser
/// (parse_metrics.py; the file is kept in `dir`): "name|labels" -> value,
/// labels sorted ("partition=0,plugin=a,reason=retry,topic=t"). Empty when
/// the endpoint does not answer 200.
std::map<std::string, double> scrape_metrics(int admin_port, const TempDir& dir);

/// Whether `s` contains `what`.
bool has(const std::string& s, const std::string& what);

/// True when every committed offset equals the end offset.
bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions);

}  // namespace fanout::test
