// A checkpointing plugin is never moved past its checkpoint silently: a
// checkpoint outside the partition's [low, high] watermarks (topic recreated,
// retention deleted what it had not applied) or an offset out of range while
// fetching stops that plugin, names partition, checkpoint and watermarks on
// every admin surface, and leaves the other plugins running.
#include <signal.h>

#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct Scenario : TopicScope {
    void produce(int from, int count) { produce_numbered(topic, from, count); }

    /// `projection` (scripted, owning its checkpoints) beside `audit` (Kafka offsets).
    std::filesystem::path config(const std::string& projection_options, const std::string& projection_extra = "") {
        std::string yaml = make_config(
            prefix, dlq, topic,
            {{"projection", "libfanout_test_scripted.so",
              "      record_path: " + (dir / "projection").string() + "\n      checkpointing: true\n" +
                  projection_options,
              projection_extra},
             {"audit", "libfanout_test_scripted.so", "      record_path: " + (dir / "audit").string() + "\n"}});
        yaml = with_admin(yaml);
        return dir.write("fanoutd.yaml", yaml);
    }

    /// fanoutd on `config`, started.
    FanoutdProcess started(const std::filesystem::path& config) {
        FanoutdProcess fanoutd(config, dir / "fanoutd.log");
        fanoutd.start();
        return fanoutd;
    }

    /// fanoutd logged "`what`: topic=T partition=0 `detail`" for the
    /// projection and stopped it; with `audit_drains`, audit committed the
    /// whole topic meanwhile. Then expect_reported.
    void expect_stopped(FanoutdProcess& fanoutd, const std::string& what, const std::string& detail,
                        const std::string& reason, std::int64_t lag, bool audit_drains) {
        const std::string message = what + ": topic=" + topic + " partition=0 " + detail;
        ASSERT_TRUE(fanoutd.wait_for_log("[projection] " + message, 60s)) << fanoutd.log();
        ASSERT_TRUE(fanoutd.wait_for_log("[projection] stopped", 20s)) << fanoutd.log();
        if (audit_drains) {
            ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".audit", topic, 1); }, 60s))
                << fanoutd.log();
        }
        expect_reported(fanoutd, message, reason, lag);
    }

    /// The stopped plugin shows on /plugins, /healthz, /readyz and /metrics.
    void expect_reported(FanoutdProcess& fanoutd, const std::string& message, const std::string& reason,
                         std::int64_t lag) {
        const int port = admin_port(fanoutd);
        ASSERT_GT(port, 0) << fanoutd.log();
        httplib::Client client("127.0.0.1", port);
        auto plugins = client.Get("/plugins");
        ASSERT_TRUE(plugins);
        const std::string& body = plugins->body;
        EXPECT_TRUE(has(body, "\"name\":\"projection\",\"type\":\"library\"")) << body;
        EXPECT_TRUE(has(body, "\"state\":\"failed\"")) << body;
        EXPECT_TRUE(has(body, "\"lastError\":\"" + message)) << body;
        EXPECT_TRUE(has(body, "\"held\":true,\"holdReason\":\"" + reason + "\"")) << body;
        EXPECT_TRUE(has(body, "\"lag\":" + std::to_string(lag) + ",\"held\":true")) << "held lag: " << body;
        EXPECT_TRUE(has(body, "\"state\":\"running\"")) << "audit keeps running: " << body;

        auto health = client.Get("/healthz");
        ASSERT_TRUE(health);
        EXPECT_EQ(health->status, 503);
        EXPECT_TRUE(has(health->body, "\"name\":\"projection\",\"lastError\":\"" + message)) << health->body;
        auto ready = client.Get("/readyz");
        ASSERT_TRUE(ready);
        EXPECT_EQ(ready->status, 503);
        EXPECT_TRUE(has(ready->body, "projection")) << ready->body;

        auto samples = scrape_metrics(port, dir);
        const std::string labels = "partition=0,plugin=projection";
        EXPECT_EQ(samples["fanout_partition_held|" + labels + ",reason=" + reason + ",topic=" + topic], 1);
        EXPECT_EQ(samples["fanout_consumer_lag|" + labels + ",topic=" + topic], lag);
        EXPECT_EQ(samples["fanout_pipeline_up|plugin=projection"], 0);
        EXPECT_EQ(samples["fanout_pipeline_up|plugin=audit"], 1);
    }
};

}  // namespace

TEST(CheckpointRange, ACheckpointBeyondTheLogsEndStopsThatPluginWhileTheOthersConsume) {
    // The projection applied 50 events of a topic that now holds 20: it was
    // deleted and recreated. Its checkpoint must not be taken as "caught up".
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 20);
    FanoutdProcess fanoutd = s.started(s.config("      checkpoints: ['0:50']\n"));
    ASSERT_NO_FATAL_FAILURE(
        s.expect_stopped(fanoutd, "checkpoint out of range",
                         "checkpoint=50 watermarks low=0 high=20; the checkpoint is beyond the end of the log",
                         "checkpoint_out_of_range", 20, true));

    // The others go on; the stopped plugin was handed nothing.
    s.produce(20, 10);
    EXPECT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".audit", s.topic, 1); }, 60s))
        << fanoutd.log();
    EXPECT_EQ(read_deliveries(s.dir / "audit").size(), 30u);
    EXPECT_TRUE(read_deliveries(s.dir / "projection").empty());
    EXPECT_TRUE(fanoutd.running());
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST(CheckpointRange, ACheckpointBeforeTheLogsStartStopsThatPlugin) {
    // Retention deleted offsets 5..19 before the projection applied them.
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 30);
    ASSERT_EQ(delete_records_before(s.topic, 0, 20), 20);
    FanoutdProcess fanoutd = s.started(s.config("      checkpoints: ['0:5']\n"));
    ASSERT_NO_FATAL_FAILURE(s.expect_stopped(fanoutd, "checkpoint out of range",
                                             "checkpoint=5 watermarks low=20 high=30; the checkpoint is before the "
                                             "start of the log: offsets 5..19 were deleted",
                                             "checkpoint_out_of_range", 25, true));
    EXPECT_TRUE(read_deliveries(s.dir / "projection").empty());
    EXPECT_EQ(read_deliveries(s.dir / "audit").size(), 10u) << "audit starts at the log's start";
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST(CheckpointRange, APositionDeletedWhileHeldForARetryStopsThePluginInsteadOfResetting) {
    // The projection waits at offset 10 for a retry; meanwhile retention
    // deletes up to 20. Resuming must not reset to 20 (auto.offset.reset).
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    s.produce(0, 30);
    FanoutdProcess fanoutd(
        s.config("      retry_keys: [k-10]\n      retry_times: 1000\n",
                 "    retry: { max_attempts: 1000, initial_backoff_ms: 4000, max_backoff_ms: 4000 }\n"),
        s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("[projection] retry later topic=" + s.topic + " partition=0 offset=10", 60s))
        << fanoutd.log();

    // Held: the lag counts from the held event, never 0.
    const int port = admin_port(fanoutd);
    ASSERT_GT(port, 0) << fanoutd.log();
    httplib::Client client("127.0.0.1", port);
    std::string body;
    EXPECT_TRUE(wait_until(
        [&] {
            auto res = client.Get("/plugins");
            body = res ? res->body : "";
            return has(body, "\"position\":10,\"highWatermark\":30,\"lag\":20,\"held\":true,\"holdReason\":\"retry\"");
        },
        10s))
        << body;
    EXPECT_EQ(
        scrape_metrics(port, s.dir)["fanout_partition_held|partition=0,plugin=projection,reason=retry,topic=" + s.topic], 1);

    ASSERT_EQ(delete_records_before(s.topic, 0, 20), 20);
    ASSERT_NO_FATAL_FAILURE(s.expect_stopped(fanoutd, "offset out of range", "offset=10 watermarks low=20 high=30",
                                             "offset_reset", 20, false));

    // After the first call only the held event came again: nothing skipped to.
    const auto deliveries = read_deliveries(s.dir / "projection");
    ASSERT_FALSE(deliveries.empty());
    for (const auto& d : deliveries) {
        if (d.batch > 1) {
            EXPECT_EQ(d.offset, 10) << "handed after the hold in call " << d.batch;
        }
    }
    EXPECT_TRUE(fanoutd.running());
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST(CheckpointRange, TheReadModelOverARecreatedTopicStopsInsteadOfDroppingNewEventsAndARebuildRecovers) {
    // What a newcomer meets rerunning a quickstart that keeps its database
    // but starts a fresh broker: the read model's checkpoint says 30, the
    // recreated topic holds 5 new events.
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    const auto produce_generated = [&](int count, std::uint64_t seed) {
        TestProducer producer;
        EventGenerator gen(5, seed);
        for (int i = 0; i < count; ++i) {
            auto e = gen.next();
            producer.produce(s.topic, e.key, e.value, e.headers, 0);
        }
        producer.flush();
    };
    produce_generated(30, 1);
    const auto db = s.dir / "read_model.db";
    std::string yaml = make_config(
        s.prefix, s.dlq, s.topic,
        {{"read-model", "libfanout_sql_read_model.so", "      connection: sqlite:" + db.string() + "\n"},
         {"audit", "libfanout_test_scripted.so", "      record_path: " + (s.dir / "audit").string() + "\n"}});
    yaml = with_admin(yaml);
    const auto config = s.dir.write("fanoutd.yaml", yaml);
    {
        FanoutdProcess first(config, s.dir / "first.log");
        first.start();
        ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".read-model", s.topic, 1); }, 60s))
            << first.log();
        ASSERT_EQ(first.stop(20s), 0) << first.log();
    }

    recreate_topic(s.topic, 1);
    produce_generated(5, 2);
    {
        FanoutdProcess second(config, s.dir / "second.log");
        second.start();
        const std::string message = "checkpoint out of range: topic=" + s.topic +
                                    " partition=0 checkpoint=30 watermarks low=0 high=5; the checkpoint is beyond "
                                    "the end of the log";
        ASSERT_TRUE(second.wait_for_log("[read-model] " + message, 60s)) << second.log();
        ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".audit", s.topic, 1); }, 60s))
            << "the other plugin goes on: " << second.log();
        const int port = admin_port(second);
        ASSERT_GT(port, 0);
        httplib::Client client("127.0.0.1", port);
        auto plugins = client.Get("/plugins");
        ASSERT_TRUE(plugins);
        EXPECT_TRUE(has(plugins->body, "\"lastError\":\"" + message)) << plugins->body;
        EXPECT_TRUE(has(plugins->body, "\"position\":30,\"highWatermark\":5,\"lag\":5,\"held\":true")) << plugins->body;
        EXPECT_EQ(second.stop(20s), 0) << second.log();
    }

    // The documented recovery: a fresh database (no checkpoints) rebuilds
    // from the start of the log, not from the group's committed offset (30).
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
    FanoutdProcess third(config, s.dir / "third.log");
    third.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".read-model", s.topic, 1); }, 60s))
        << third.log();
    EXPECT_FALSE(has(third.log(), "out of range")) << third.log();
    EXPECT_TRUE(has(third.log(), "[read-model] checkpoints loaded: " + s.topic + "[0]@none")) << third.log();
    EXPECT_EQ(third.stop(20s), 0) << third.log();
}
