// A checkpointing plugin whose checkpoint store is down when its partitions
// are assigned: fanoutd never guesses a position and never sleeps inside the
// rebalance callback. The partitions are assigned paused; the pipeline loads
// the checkpoints again between batches, with the retry backoff, and only
// then consumes, from the checkpoints. The other plugins run meanwhile.
#include <signal.h>

#include <map>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct CheckpointLoad : TopicScope {
    void produce(int from, int count) { produce_numbered(topic, from, count); }

    /// `projection` owns its checkpoints (resuming at offset 10) and fails to
    /// load them `failures` times; `audit` uses Kafka's offsets.
    /// `degraded_after_ms`: its retry.degraded_after_ms (0: the default).
    std::filesystem::path config(int failures, int degraded_after_ms = 0) {
        const std::string options = "      record_path: " + (dir / "projection").string() +
                                    "\n      checkpointing: true\n      checkpoints: ['0:10']\n"
                                    "      assign_failures: " +
                                    std::to_string(failures) + "\n";
        const std::string retry =
            "    retry: { max_attempts: 5, initial_backoff_ms: 200, max_backoff_ms: 400" +
            (degraded_after_ms > 0 ? ", degraded_after_ms: " + std::to_string(degraded_after_ms) : std::string()) +
            " }\n";
        return dir.write("fanoutd.yaml",
                         with_admin(make_config(prefix, dlq, topic,
                                                {{"projection", "libfanout_test_scripted.so", options, retry},
                                                 {"audit", "libfanout_test_scripted.so",
                                                  "      record_path: " + (dir / "audit").string() + "\n"}})));
    }
};

std::set<std::int64_t> offsets(const std::vector<Delivery>& deliveries) {
    std::set<std::int64_t> out;
    for (const Delivery& d : deliveries) out.insert(d.offset);
    return out;
}

}  // namespace

TEST(CheckpointLoad, AStoreDownAtAssignmentIsRetriedBetweenBatchesThenConsumesFromTheCheckpoint) {
    CheckpointLoad s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 30);
    // More failures than retry.max_attempts: an outage at assignment is
    // retried for as long as it lasts, never given up on.
    FanoutdProcess fanoutd(s.config(7), s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] checkpoints of " + s.topic + "[0] not loaded yet: assigned paused", 60s))
        << fanoutd.log();
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] loading checkpoints failed attempt=7", 60s)) << fanoutd.log();
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] checkpoints loaded: consuming " + s.topic + "[0]", 60s))
        << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".projection", s.topic, 1); }, 60s))
        << fanoutd.log();

    // From the checkpoint, each event once; nothing before it, nothing skipped.
    const std::vector<Delivery> projected = read_deliveries(s.dir / "projection");
    std::set<std::int64_t> expected;
    for (std::int64_t o = 10; o < 30; ++o) expected.insert(o);
    EXPECT_EQ(offsets(projected), expected);
    EXPECT_EQ(projected.size(), 20u) << "no event twice";
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".audit", s.topic, 1); }, 60s))
        << fanoutd.log();
    EXPECT_EQ(read_deliveries(s.dir / "audit").size(), 30u);

    // Later events flow as usual.
    s.produce(30, 5);
    EXPECT_TRUE(wait_until([&] { return read_deliveries(s.dir / "projection").size() == 25u; }, 60s)) << fanoutd.log();
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(CheckpointLoad, AStopWhileTheCheckpointsArePendingHandsNothingAndExitsCleanly) {
    CheckpointLoad s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 20);
    FanoutdProcess fanoutd(s.config(1'000'000), s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] loading checkpoints failed attempt=3", 60s)) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".audit", s.topic, 1); }, 60s))
        << "the other plugin is not held up: " << fanoutd.log();
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
    EXPECT_TRUE(read_deliveries(s.dir / "projection").empty()) << "nothing from a guessed position";
}

TEST(CheckpointLoad, PartitionsWaitingForTheStoreAreAnOutageTheStatusShowsUntilTheyLoad) {
    CheckpointLoad s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 30);
    // 25 failed loads 200-400 ms apart: an outage of several seconds, degraded after 300 ms.
    FanoutdProcess fanoutd(s.config(25, 300), s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0; }, 30s)) << fanoutd.log();
    const int port = admin_port(fanoutd);
    httplib::Client client("127.0.0.1", port);
    const auto get = [&](const char* path) {
        auto res = client.Get(path);
        return res ? res->body : std::string();
    };
    const std::string held = "fanout_partition_held|partition=0,plugin=projection,reason=checkpoints_pending,topic=" +
                             s.topic;
    std::map<std::string, double> samples;
    ASSERT_TRUE(wait_until(
        [&] {
            samples = scrape_metrics(port, s.dir);
            return samples[held] == 1 && samples["fanout_plugin_degraded|plugin=projection"] == 1;
        },
        30s))
        << "an outage like a retried batch: held, degraded\n"
        << get("/plugins") << fanoutd.log();
    EXPECT_EQ(samples["fanout_plugin_degraded|plugin=audit"], 0) << "the other plugin is not";
    const std::string plugins = get("/plugins");
    EXPECT_TRUE(has(plugins, R"("holdReason":"checkpoints_pending","holdDetail":"checkpoints not loaded: loading the )"
                             R"(checkpoints failed: scripted checkpoint store down")"))
        << plugins;
    const std::string health = get("/healthz");
    EXPECT_TRUE(has(health, R"("status":"degraded")") && has(health, R"("name":"projection")")) << health;

    // The store answers: the partition moves on from the checkpoint and the outage is over.
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] checkpoints loaded: consuming " + s.topic + "[0]", 60s))
        << fanoutd.log();
    ASSERT_TRUE(wait_until(
        [&] {
            samples = scrape_metrics(port, s.dir);
            return samples.count(held) == 0 && samples["fanout_plugin_degraded|plugin=projection"] == 0;
        },
        30s))
        << get("/plugins");
    EXPECT_FALSE(has(get("/plugins"), "checkpoints_pending"));
    EXPECT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".projection", s.topic, 1); }, 60s))
        << fanoutd.log();
    EXPECT_EQ(offsets(read_deliveries(s.dir / "projection")).size(), 20u);
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}
