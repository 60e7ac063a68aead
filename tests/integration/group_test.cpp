// Crashes and consumer groups on the real broker: kill -9 loses nothing, and
// two fanoutd processes share the work and take over from each other.
#include <signal.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

using Groups = TopicTest;

TEST_F(Groups, KillNineMidStreamThenRestartHasEveryEventAtLeastOnce) {
    constexpr int k_partitions = 4;
    constexpr std::size_t k_events = 20000;
    admin.create_topic(topic, k_partitions);

    const auto audit = dir / "audit.jsonl";
    const auto config = write_config({{"audit", "libfanout_example.so", "      path: " + audit.string() + "\n",
                                       "    batch: { max_events: 200, linger_ms: 5 }\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();

    // A first part of the stream is in the topic when the daemon is killed, so
    // the kill lands mid-stream however fast this machine consumes; the rest
    // arrives while the daemon restarts.
    constexpr std::size_t k_before_kill = 5000;
    produce_events(topic, k_before_kill);
    ASSERT_TRUE(wait_until([&] { return read_lines(audit).size() >= 2000; }, 60s)) << fanoutd.log();
    fanoutd.signal(SIGKILL);
    EXPECT_EQ(fanoutd.wait_exit(10s), 128 + SIGKILL);
    const std::size_t lines_at_kill = read_lines(audit).size();

    std::thread producer([&] { produce_events(topic, k_events - k_before_kill); });
    FanoutdProcess restarted(config, dir / "fanoutd.log");
    restarted.start();
    producer.join();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".audit", topic, k_partitions); }, 120s))
        << restarted.log();
    EXPECT_EQ(restarted.stop(20s), 0);

    const auto seen = audit_coordinates(audit);
    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    ASSERT_EQ(expected.size(), k_events);
    EXPECT_EQ(std::set<Coordinate>(seen.begin(), seen.end()), expected) << "no offset skipped";
    EXPECT_LT(lines_at_kill, k_events) << "the kill must land mid-stream";
    // Replays are bounded by what was handled but not yet committed.
    EXPECT_LT(seen.size() - expected.size(), 10000u);
}

TEST_F(Groups, TwoProcessesSplitPartitionsAndTheSurvivorTakesOver) {
    constexpr int k_partitions = 6;
    admin.create_topic(topic, k_partitions);
    auto config_for = [&](const std::string& who) {
        return dir.write("fanoutd-" + who + ".yaml",
                         make_config(prefix, dlq, topic,
                                     {{"shared", "libfanout_test_scripted.so",
                                       "      record_path: " + (dir / ("record-" + who)).string() + "\n"}}));
    };
    FanoutdProcess a(config_for("a"), dir / "a.log"), b(config_for("b"), dir / "b.log");
    a.start();
    ASSERT_TRUE(a.wait_for_log("[shared] assigned", 30s)) << a.log();
    b.start();
    ASSERT_TRUE(b.wait_for_log("[shared] assigned", 30s)) << b.log();

    produce_events(topic, 3000);
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".shared", topic, k_partitions); }, 60s))
        << a.log() << b.log();
    const auto first_a = read_deliveries(dir / "record-a");
    const auto first_b = read_deliveries(dir / "record-b");
    EXPECT_GT(first_a.size(), 0u) << "both processes get partitions";
    EXPECT_GT(first_b.size(), 0u) << "both processes get partitions";
    std::set<std::int32_t> parts_a, parts_b;
    for (const auto& d : first_a) parts_a.insert(d.partition);
    for (const auto& d : first_b) parts_b.insert(d.partition);
    for (auto p : parts_a) EXPECT_FALSE(parts_b.count(p)) << "partition " << p << " consumed by both";

    b.signal(SIGKILL);
    EXPECT_EQ(b.wait_exit(10s), 128 + SIGKILL);
    produce_events(topic, 3000);
    // The survivor is assigned b's partitions once the session times out.
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".shared", topic, k_partitions); }, 90s))
        << a.log();

    std::set<Coordinate> seen;
    for (const auto* file : {"record-a", "record-b"}) {
        for (const auto& d : read_deliveries(dir / file)) seen.emplace(d.partition, d.offset);
    }
    EXPECT_EQ(seen, all_coordinates(admin.end_offsets(topic, k_partitions))) << "no event lost";
    EXPECT_EQ(a.stop(20s), 0) << a.log();
}
