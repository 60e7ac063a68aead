// The dashboard and the alert rules in monitoring/ query only metrics, labels
// and label values that a live fanoutd serves on /metrics. fanoutd runs three
// plugins on the real broker, one that dead-letters an event, one that holds
// its partition for a retry and the SQL read model on SQLite (a projection:
// the rebuild gauges), so that every family has samples; check_monitoring.py
// compares.
#include <httplib.h>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct Monitoring : TopicTest {};

TEST_F(Monitoring, EveryMetricTheDashboardAndTheAlertRulesQueryIsServed) {
    const char* python = std::getenv("FANOUT_TEST_PYTHON");
    ASSERT_TRUE(python != nullptr && *python != '\0')
        << "FANOUT_TEST_PYTHON is not set: run tools/test.sh, or export FANOUT_TEST_PYTHON=$(tools/python-env.sh)";
    admin.create_topic(topic, 1);
    produce_keyed(topic, 20, 10, "k-poison");
    std::string yaml =
        make_config(prefix, dlq, topic,
                    {{"rejecting", "libfanout_test_scripted.so",
                      "      record_path: " + (dir / "rejecting").string() + "\n      reject_keys: [k-poison]\n"},
                     {"retrying", "libfanout_test_scripted.so",
                      "      record_path: " + (dir / "retrying").string() +
                          "\n      retry_keys: [k-poison]\n      retry_times: 1000\n",
                      "    retry: { max_attempts: 1000, initial_backoff_ms: 60000, max_backoff_ms: 60000 }\n"},
                     {"read_model", "libfanout_sql_read_model.so",
                      "      connection: sqlite:" + (dir / "read.db").string() + "\n"}});
    yaml = with_admin(yaml);
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0; }, 30s)) << fanoutd.log();
    httplib::Client client("127.0.0.1", admin_port(fanoutd));

    // Served once the dead letter is written, the retry holds its partition
    // and the lag gauge (refreshed every second) has every plugin (the read
    // model's rebuild gauges are there from its start).
    std::string body;
    ASSERT_TRUE(wait_until(
        [&] {
            auto res = client.Get("/metrics");
            if (!res || res->status != 200) return false;
            body = res->body;
            return has(body, "fanout_events_total{plugin=\"rejecting\",outcome=\"dead_lettered\"} 1\n") &&
                   has(body, "fanout_partition_held{plugin=\"retrying\"") &&
                   has(body, "fanout_consumer_lag{plugin=\"rejecting\"") &&
                   has(body, "fanout_consumer_lag{plugin=\"retrying\"") &&
                   has(body, "fanout_consumer_lag{plugin=\"read_model\"");
        },
        30s))
        << body << fanoutd.log();

    const auto checked = run_command({python, std::string(FANOUT_SOURCE_DIR) + "/tests/monitoring/check_monitoring.py",
                                      FANOUT_SOURCE_DIR, "--metrics", dir.write("metrics.txt", body).string()});
    EXPECT_EQ(checked.exit_code, 0) << checked.output << "\n/metrics:\n" << body;
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

}  // namespace
