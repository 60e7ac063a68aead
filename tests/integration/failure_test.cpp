// Failures on the real broker: rejects are dead-lettered with their
// coordinates, retries are redelivered after backoff, throws fail one event,
// `on_permanent_error: stop` stops one pipeline, a missing broker is waited for.
#include <signal.h>

#include <algorithm>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct Scenario {
    std::string topic = unique_name("posts");
    std::string prefix = unique_name("g");
    std::string dlq = unique_name("dlq");
    KafkaAdmin admin;
    TempDir dir;

    /// `count` plain events on partition 0 with keys k-0..k-(count-1),
    /// except index `special` which gets `special_key`.
    void produce_keyed(int count, int special, const std::string& special_key) {
        admin.create_topic(topic, 1);
        TestProducer producer;
        EventGenerator gen(10);
        for (int i = 0; i < count; ++i) {
            auto e = gen.next();
            producer.produce(topic, i == special ? special_key : "k-" + std::to_string(i), e.value, e.headers, 0);
        }
        producer.flush();
    }

    std::string scripted(const std::string& name, const std::string& options, const std::string& extra = "") {
        return make_config(prefix, dlq, topic,
                           {{name, "libfanout_test_scripted.so",
                             "      record_path: " + (dir / "record").string() + "\n" + options, extra}});
    }
};

}  // namespace

TEST(Failures, RejectedEventIsDeadLetteredWithHeadersAndLaterEventsContinue) {
    Scenario s;
    s.produce_keyed(100, 40, "k-poison");
    const auto config = s.dir.write("fanoutd.yaml", s.scripted("rejecter", "      reject_keys: [k-poison]\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".rejecter", s.topic, 1); }, 60s))
        << fanoutd.log();

    const auto dead = consume_all(s.dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    const Record& r = dead[0];
    EXPECT_EQ(r.key, "k-poison");
    EXPECT_EQ(r.header("fanout.plugin"), "rejecter");
    EXPECT_EQ(r.header("fanout.reason"), "rejected: scripted reject of k-poison");
    EXPECT_EQ(r.header("fanout.attempts"), "1");
    EXPECT_EQ(r.header("fanout.source.topic"), s.topic);
    EXPECT_EQ(r.header("fanout.source.partition"), "0");
    EXPECT_EQ(r.header("fanout.source.offset"), "40");
    EXPECT_FALSE(r.header("event-type").empty()) << "original headers are kept";
    EXPECT_NE(r.value.find("\"eventId\""), std::string::npos) << "original value is kept";

    const auto deliveries = read_deliveries(s.dir / "record");
    std::set<std::int64_t> done;
    for (const auto& d : deliveries) {
        if (d.outcome == "done") done.insert(d.offset);
    }
    EXPECT_EQ(done.size(), 99u);
    EXPECT_TRUE(done.count(99)) << "events after the poison one are processed";
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

TEST(Failures, RetryLaterRedeliversTheSameEventAfterBackoffAndSkipsNothing) {
    Scenario s;
    s.produce_keyed(60, 10, "k-flaky");
    const auto config =
        s.dir.write("fanoutd.yaml", s.scripted("flaky", "      retry_keys: [k-flaky]\n      retry_times: 2\n",
                                               "    retry: { max_attempts: 5, initial_backoff_ms: 300 }\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".flaky", s.topic, 1); }, 60s))
        << fanoutd.log();

    const auto deliveries = read_deliveries(s.dir / "record");
    std::vector<std::string> flaky;
    for (const auto& d : deliveries) {
        if (d.key == "k-flaky") flaky.push_back(d.outcome);
    }
    EXPECT_EQ(flaky, (std::vector<std::string>{"retry", "retry", "done"})) << "same event redelivered";

    // Later events of the partition are redelivered after the flaky one
    // succeeds: the stored position never moved past the failed event.
    const auto final_done = std::find_if(deliveries.begin(), deliveries.end(),
                                         [](const Delivery& d) { return d.key == "k-flaky" && d.outcome == "done"; });
    ASSERT_NE(final_done, deliveries.end());
    std::set<std::int64_t> done_after;
    for (auto it = final_done; it != deliveries.end(); ++it) {
        if (it->outcome == "done") done_after.insert(it->offset);
    }
    for (std::int64_t o = 10; o < 60; ++o) EXPECT_TRUE(done_after.count(o)) << "offset " << o;
    std::set<std::int64_t> done;
    for (const auto& d : deliveries) {
        if (d.outcome == "done") done.insert(d.offset);
    }
    EXPECT_EQ(done.size(), 60u) << "nothing skipped";
    EXPECT_NE(fanoutd.log().find("retry later topic=" + s.topic + " partition=0 offset=10 attempt=2/5 next_in=600ms"),
              std::string::npos)
        << "exponential backoff: " << fanoutd.log();
    EXPECT_TRUE(consume_all(s.dlq, 1, 2s).empty());
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

namespace {

/// Partition 0's deliveries, call by call: each call starts where the stored
/// position is (after the previous call's events, or at the event it was
/// told to retry) and runs in offset order. Empty when so, else the first
/// delivery out of place.
std::string first_out_of_order(const std::vector<Delivery>& deliveries) {
    std::int64_t batch = -1, last = -1;
    std::optional<std::int64_t> retried;
    for (const Delivery& d : deliveries) {
        if (d.partition != 0) continue;
        std::int64_t expected = last + 1;
        if (d.batch != batch) {
            if (retried) expected = *retried;
            retried.reset();
            batch = d.batch;
        }
        if (d.offset != expected) {
            return "call " + std::to_string(d.batch) + " delivered offset " + std::to_string(d.offset) +
                   " where " + std::to_string(expected) + " was due";
        }
        last = d.offset;
        if (d.outcome == "retry" && !retried) retried = d.offset;
    }
    return {};
}

void retry_keeps_the_order(const std::string& parse_ahead) {
    Scenario s;
    s.produce_keyed(200, 42, "k-flaky");
    // Batches of 5 from a full queue: while the call holding the flaky event
    // runs, the next batch (offsets after it) is already collected.
    const auto config = s.dir.write(
        "fanoutd.yaml",
        s.scripted("ordered", "      retry_keys: [k-flaky]\n      retry_times: 2\n      sleep_ms: 5\n",
                   "    batch: { max_events: 5, linger_ms: 20, parse_ahead: " + parse_ahead +
                       " }\n    retry: { max_attempts: 5, initial_backoff_ms: 200 }\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".ordered", s.topic, 1); }, 60s))
        << fanoutd.log();
    const auto deliveries = read_deliveries(s.dir / "record");
    ASSERT_FALSE(deliveries.empty());
    EXPECT_GT(deliveries.back().batch, 40) << "batches of at most 5";
    EXPECT_EQ(first_out_of_order(deliveries), "");
    std::vector<std::string> flaky;
    std::set<std::int64_t> done;
    for (const auto& d : deliveries) {
        if (d.key == "k-flaky") flaky.push_back(d.outcome);
        if (d.outcome == "done") done.insert(d.offset);
    }
    EXPECT_EQ(flaky, (std::vector<std::string>{"retry", "retry", "done"}));
    EXPECT_EQ(done.size(), 200u);
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

}  // namespace

TEST(Failures, ARetryDropsTheBatchParsedAheadAndRedeliversInOffsetOrder) { retry_keeps_the_order("true"); }

TEST(Failures, WithoutParseAheadARetryRedeliversInOffsetOrder) { retry_keeps_the_order("false"); }

TEST(Failures, ExhaustedRetriesAreDeadLettered) {
    Scenario s;
    s.produce_keyed(20, 5, "k-down");
    const auto config =
        s.dir.write("fanoutd.yaml", s.scripted("down", "      retry_keys: [k-down]\n      retry_times: 1000\n",
                                               "    retry: { max_attempts: 3, initial_backoff_ms: 50 }\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".down", s.topic, 1); }, 60s))
        << fanoutd.log();
    const auto dead = consume_all(s.dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].header("fanout.attempts"), "3");
    EXPECT_EQ(dead[0].header("fanout.reason"), "retries exhausted after 3 attempts: scripted retry of k-down");
    EXPECT_EQ(dead[0].header("fanout.source.offset"), "5");
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

TEST(Failures, APluginThatThrowsFailsThatEventNotTheDaemon) {
    Scenario s;
    s.produce_keyed(50, 25, "k-boom");
    const auto config =
        s.dir.write("fanoutd.yaml", s.scripted("thrower", "      throw_keys: [k-boom]\n",
                                               "    retry: { max_attempts: 2, initial_backoff_ms: 50 }\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".thrower", s.topic, 1); }, 60s))
        << fanoutd.log();
    EXPECT_TRUE(fanoutd.running());
    const auto dead = consume_all(s.dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].key, "k-boom");
    EXPECT_EQ(dead[0].header("fanout.reason"),
              "retries exhausted after 2 attempts: handler threw: scripted throw for k-boom");
    std::set<std::int64_t> done;
    for (const auto& d : read_deliveries(s.dir / "record")) {
        if (d.outcome == "done") done.insert(d.offset);
    }
    EXPECT_EQ(done.size(), 49u) << "every other event of the throwing batch is still handled";
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

TEST(Failures, StopPolicyHaltsOnlyThatPipelineAndKeepsTheEvent) {
    Scenario s;
    s.produce_keyed(30, 12, "k-poison");
    const std::string record = (s.dir / "record").string();
    const auto config = s.dir.write(
        "fanoutd.yaml",
        make_config(s.prefix, s.dlq, s.topic,
                    {{"strict", "libfanout_test_scripted.so",
                      "      record_path: " + record + "\n      reject_keys: [k-poison]\n",
                      "    on_permanent_error: stop\n"},
                     {"audit", "libfanout_example.so", "      path: " + (s.dir / "audit.jsonl").string() + "\n"}}));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(s.admin, s.prefix + ".audit", s.topic, 1); }, 60s))
        << fanoutd.log();
    ASSERT_TRUE(fanoutd.wait_for_log("[strict] stopped", 20s)) << fanoutd.log();
    EXPECT_TRUE(fanoutd.running()) << "the other pipeline keeps going";
    EXPECT_EQ(s.admin.committed(s.prefix + ".strict", s.topic, 1), std::vector<std::int64_t>{12})
        << "the failed event stays uncommitted for a later restart";
    EXPECT_TRUE(consume_all(s.dlq, 1, 2s).empty());
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0);
}

TEST(Failures, UnreachableBrokerIsLoggedAndRetriedNotAConfigError) {
    TempDir dir;
    const auto config = dir.write("fanoutd.yaml", "kafka: {brokers: 127.0.0.1:1}\nplugins:\n"
                                                  "  - name: audit\n    type: library\n    path: " +
                                                      (lib_dir() / "libfanout_example.so").string() +
                                                      "\n    topics: [t]\n    options: {path: " +
                                                      (dir / "a.jsonl").string() + "}\n");
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("Connection refused", 20s)) << fanoutd.log();
    EXPECT_TRUE(fanoutd.running());
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(Failures, PluginThatCannotStartMakesFanoutdExitUnavailable) {
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    const auto config = s.dir.write("fanoutd.yaml", s.scripted("broken", "      fail_create: true\n"));
    FanoutdProcess fanoutd(config, s.dir / "fanoutd.log");
    fanoutd.start();
    EXPECT_EQ(fanoutd.wait_exit(30s), 69) << fanoutd.log();
    EXPECT_NE(fanoutd.log().find("plugin 'broken' failed to start: scripted create failure"), std::string::npos)
        << fanoutd.log();
}
