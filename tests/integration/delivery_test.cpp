// Delivery on the real broker: every plugin sees every event, in its own
// consumer group; a clean stop loses nothing and replays nothing.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

// In this namespace `Delivery` is the fixture, not fanout::test::Delivery (a
// scripted plugin's record).
using Delivery = TopicTest;

TEST_F(Delivery, TwoPluginsOnOneTopicEachReceiveEveryEvent) {
    constexpr int k_partitions = 4;
    constexpr std::size_t k_events = 2000;
    admin.create_topic(topic, k_partitions);
    produce_events(topic, k_events);

    const auto config =
        write_config({{"audit-a", "libfanout_example.so", "      path: " + (dir / "a.jsonl").string() + "\n"},
                      {"audit-b", "libfanout_example.so", "      path: " + (dir / "b.jsonl").string() + "\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();

    // Separate consumer groups: each group's committed offsets reach the end.
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".audit-a", topic, k_partitions); }, 60s))
        << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".audit-b", topic, k_partitions); }, 30s))
        << fanoutd.log();

    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    ASSERT_EQ(expected.size(), k_events);
    for (const char* file : {"a.jsonl", "b.jsonl"}) {
        const auto seen = audit_coordinates(dir / file);
        const std::set<Coordinate> distinct(seen.begin(), seen.end());
        EXPECT_EQ(distinct, expected) << file;
    }
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST_F(Delivery, AuditLineCarriesTheEvent) {
    admin.create_topic(topic, 1);
    const auto events = produce_events(topic, 3);

    const auto config =
        write_config({{"audit", "libfanout_example.so", "      path: " + (dir / "audit.jsonl").string() + "\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return read_lines(dir / "audit.jsonl").size() >= 3; }, 60s)) << fanoutd.log();
    const auto lines = read_lines(dir / "audit.jsonl");
    EXPECT_NE(lines[0].find("\"offset\":0"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"key\":\"" + events[0].key + "\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"type\":\"PostCreatedEvent\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(events[0].event_id), std::string::npos) << "payload kept: " << lines[0];
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST_F(Delivery, EventTypeFilterSkipsOtherTypesButAdvancesOffsets) {
    admin.create_topic(topic, 2);
    const auto events = produce_events(topic, 500);
    std::size_t created = 0;
    for (const auto& e : events) created += e.type == "PostCreatedEvent";

    const auto config =
        write_config({{"created", "libfanout_example.so", "      path: " + (dir / "audit.jsonl").string() + "\n",
                       "    event_types: [PostCreatedEvent]\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".created", topic, 2); }, 60s)) << fanoutd.log();
    const auto lines = read_lines(dir / "audit.jsonl");
    EXPECT_EQ(lines.size(), created);
    for (const auto& l : lines) EXPECT_NE(l.find("\"type\":\"PostCreatedEvent\""), std::string::npos) << l;
    EXPECT_EQ(fanoutd.stop(20s), 0);
}

TEST_F(Delivery, SigtermDrainsExitsZeroAndRestartResumesWithoutGapOrReplay) {
    constexpr int k_partitions = 3;
    admin.create_topic(topic, k_partitions);
    produce_events(topic, 3000);

    // A slow plugin, so SIGTERM lands mid-stream with a batch in flight.
    const auto config = dir.write(
        "fanoutd.yaml", make_config(prefix, dlq, topic,
                                    {{"slow", "libfanout_test_scripted.so",
                                      "      record_path: " + (dir / "record").string() + "\n      sleep_ms: 100\n",
                                      "    batch: { max_events: 50, linger_ms: 10 }\n"}},
                                    /*drain_timeout_ms=*/5000));
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return read_deliveries(dir / "record").size() >= 300; }, 60s)) << fanoutd.log();

    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(fanoutd.stop(10s), 0) << fanoutd.log();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "exits within the drain timeout";
    const std::size_t handled_first_run = read_deliveries(dir / "record").size();
    ASSERT_LT(handled_first_run, 3000u) << "the stop must land mid-stream";

    // Everything handled was committed at shutdown.
    std::int64_t committed_total = 0;
    for (auto o : admin.committed(prefix + ".slow", topic, k_partitions)) committed_total += std::max<std::int64_t>(o, 0);
    EXPECT_EQ(committed_total, static_cast<std::int64_t>(handled_first_run));

    FanoutdProcess again(config, dir / "fanoutd.log");
    again.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".slow", topic, k_partitions); }, 120s))
        << again.log();
    EXPECT_EQ(again.stop(10s), 0);

    std::multiset<Coordinate> seen;
    for (const auto& d : read_deliveries(dir / "record")) seen.emplace(d.partition, d.offset);
    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    EXPECT_EQ(std::set<Coordinate>(seen.begin(), seen.end()), expected) << "no gap";
    EXPECT_EQ(seen.size(), expected.size()) << "a clean stop replays nothing";
}

}  // namespace
