// Failures on the real broker: rejects are dead-lettered with their
// coordinates, retries are redelivered after backoff, throws fail one event,
// `on_permanent_error: stop` stops one pipeline, a missing broker is waited for.
#include <signal.h>

#include <algorithm>
#include <optional>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct Failures : TopicTest {
    std::optional<FanoutdProcess> fanoutd;  ///< what run() started

    /// The topic with one partition and produce_keyed() on it.
    void produce_keyed(int count, int special, const std::string& special_key) {
        admin.create_topic(topic, 1);
        fanout::test::produce_keyed(topic, count, special, special_key);
    }

    /// Start fanoutd on `config` (YAML text) and wait until pipeline
    /// `drained` committed the whole topic.
    void run(const std::string& config, const std::string& drained) {
        fanoutd.emplace(dir.write("fanoutd.yaml", config), dir / "fanoutd.log");
        fanoutd->start();
        ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + "." + drained, topic, 1); }, 60s))
            << fanoutd->log();
    }

    std::string scripted(const std::string& name, const std::string& options, const std::string& extra = "") {
        return make_config(prefix, dlq, topic,
                           {{name, "libfanout_test_scripted.so",
                             "      record_path: " + (dir / "record").string() + "\n" + options, extra}});
    }

    /// run() with one scripted pipeline `name`.
    void run_scripted(const std::string& name, const std::string& options, const std::string& extra = "") {
        run(scripted(name, options, extra), name);
    }

    void retry_keeps_the_order(const std::string& parse_ahead);
};

/// The outcomes of the deliveries of `key`, in delivery order.
std::vector<std::string> outcomes_of(const std::vector<Delivery>& deliveries, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& d : deliveries) {
        if (d.key == key) out.push_back(d.outcome);
    }
    return out;
}

}  // namespace

TEST_F(Failures, RejectedEventIsDeadLetteredWithHeadersAndLaterEventsContinue) {
    produce_keyed(100, 40, "k-poison");
    ASSERT_NO_FATAL_FAILURE(run_scripted("rejecter", "      reject_keys: [k-poison]\n"));

    const auto dead = consume_all(dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    const Record& r = dead[0];
    EXPECT_EQ(r.key, "k-poison");
    EXPECT_EQ(r.header("fanout.plugin"), "rejecter");
    EXPECT_EQ(r.header("fanout.reason"), "rejected: scripted reject of k-poison");
    EXPECT_EQ(r.header("fanout.attempts"), "1");
    EXPECT_EQ(r.header("fanout.source.topic"), topic);
    EXPECT_EQ(r.header("fanout.source.partition"), "0");
    EXPECT_EQ(r.header("fanout.source.offset"), "40");
    EXPECT_FALSE(r.header("event-type").empty()) << "original headers are kept";
    EXPECT_NE(r.value.find("\"eventId\""), std::string::npos) << "original value is kept";

    const auto deliveries = read_deliveries(dir / "record");
    const std::set<std::int64_t> done = done_offsets(deliveries);
    EXPECT_EQ(done.size(), 99u);
    EXPECT_TRUE(done.count(99)) << "events after the poison one are processed";
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

TEST_F(Failures, RetryLaterRedeliversTheSameEventAfterBackoffAndSkipsNothing) {
    produce_keyed(60, 10, "k-flaky");
    ASSERT_NO_FATAL_FAILURE(run_scripted("flaky", "      retry_keys: [k-flaky]\n      retry_times: 2\n",
                                         "    retry: { max_attempts: 5, initial_backoff_ms: 300 }\n"));

    const auto deliveries = read_deliveries(dir / "record");
    EXPECT_EQ(outcomes_of(deliveries, "k-flaky"), (std::vector<std::string>{"retry", "retry", "done"}))
        << "same event redelivered";

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
    const std::set<std::int64_t> done = done_offsets(deliveries);
    EXPECT_EQ(done.size(), 60u) << "nothing skipped";
    EXPECT_NE(fanoutd->log().find("retry later topic=" + topic + " partition=0 offset=10 attempt=2 (transient) next_in=600ms"),
              std::string::npos)
        << "exponential backoff: " << fanoutd->log();
    EXPECT_TRUE(consume_all(dlq, 1, 2s).empty());
    EXPECT_EQ(fanoutd->stop(20s), 0);
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

void Failures::retry_keeps_the_order(const std::string& parse_ahead) {
    produce_keyed(200, 42, "k-flaky");
    // Batches of 5 from a full queue: while the call holding the flaky event
    // runs, the next batch (offsets after it) is already collected.
    ASSERT_NO_FATAL_FAILURE(run_scripted("ordered",
                                         "      retry_keys: [k-flaky]\n      retry_times: 2\n      sleep_ms: 5\n",
                                         "    batch: { max_events: 5, linger_ms: 20, parse_ahead: " + parse_ahead +
                                             " }\n    retry: { max_attempts: 5, initial_backoff_ms: 200 }\n"));
    const auto deliveries = read_deliveries(dir / "record");
    ASSERT_FALSE(deliveries.empty());
    EXPECT_GT(deliveries.back().batch, 40) << "batches of at most 5";
    EXPECT_EQ(first_out_of_order(deliveries), "");
    EXPECT_EQ(outcomes_of(deliveries, "k-flaky"), (std::vector<std::string>{"retry", "retry", "done"}));
    EXPECT_EQ(done_offsets(deliveries).size(), 200u);
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

}  // namespace

TEST_F(Failures, ARetryDropsTheBatchParsedAheadAndRedeliversInOffsetOrder) { retry_keeps_the_order("true"); }

TEST_F(Failures, WithoutParseAheadARetryRedeliversInOffsetOrder) { retry_keeps_the_order("false"); }

TEST_F(Failures, ExhaustedRetriesAreDeadLettered) {
    produce_keyed(20, 5, "k-down");
    ASSERT_NO_FATAL_FAILURE(run_scripted("down", "      fail_keys: [k-down]\n      retry_times: 1000\n",
                                         "    retry: { max_attempts: 3, initial_backoff_ms: 50 }\n"));
    const auto dead = consume_all(dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].header("fanout.attempts"), "3");
    EXPECT_EQ(dead[0].header("fanout.reason"), "retries exhausted after 3 attempts: scripted failure of k-down");
    EXPECT_EQ(dead[0].header("fanout.source.offset"), "5");
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

TEST_F(Failures, AnOutageOutlastingMaxAttemptsIsNeverDeadLetteredAndReadsDegradedUntilItEnds) {
    produce_keyed(20, 5, "k-down");
    // Eight transient failures (retry_later) of one event, three attempts allowed.
    std::string yaml = scripted("outage", "      retry_keys: [k-down]\n      retry_times: 8\n",
                                "    retry: { max_attempts: 3, initial_backoff_ms: 200, max_backoff_ms: 400, "
                                "degraded_after_ms: 300 }\n");
    yaml = with_admin(yaml);
    fanoutd.emplace(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd->start();
    ASSERT_TRUE(wait_until([&] { return admin_port(*fanoutd) > 0; }, 30s)) << fanoutd->log();
    httplib::Client client("127.0.0.1", admin_port(*fanoutd));
    const auto get = [&](const char* path) {
        const auto res = client.Get(path);
        return res ? std::to_string(res->status) + " " + res->body : std::string("unreachable");
    };
    ASSERT_TRUE(wait_until([&] { return has(get("/plugins"), R"("degraded":true)"); }, 30s)) << get("/plugins");
    EXPECT_TRUE(has(get("/metrics"), "fanout_plugin_degraded{plugin=\"outage\"} 1")) << get("/metrics");
    EXPECT_TRUE(has(get("/healthz"), R"(200 {"status":"degraded","degraded":[{"name":"outage")")) << get("/healthz");

    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".outage", topic, 1); }, 60s))
        << fanoutd->log();
    EXPECT_TRUE(has(get("/plugins"), R"("degraded":false)")) << get("/plugins");
    EXPECT_TRUE(has(get("/metrics"), "fanout_plugin_degraded{plugin=\"outage\"} 0"));
    EXPECT_EQ(get("/healthz"), R"(200 {"status":"ok"})");
    EXPECT_TRUE(consume_all(dlq, 1, 3s).empty()) << "an outage is never dead-lettered";
    EXPECT_EQ(outcomes_of(read_deliveries(dir / "record"), "k-down"),
              (std::vector<std::string>{"retry", "retry", "retry", "retry", "retry", "retry", "retry", "retry", "done"}));
    EXPECT_EQ(done_offsets(read_deliveries(dir / "record")).size(), 20u);
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

TEST_F(Failures, APluginThatThrowsFailsThatEventNotTheDaemon) {
    produce_keyed(50, 25, "k-boom");
    ASSERT_NO_FATAL_FAILURE(run_scripted("thrower", "      throw_keys: [k-boom]\n",
                                         "    retry: { max_attempts: 2, initial_backoff_ms: 50 }\n"));
    EXPECT_TRUE(fanoutd->running());
    const auto dead = consume_all(dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].key, "k-boom");
    EXPECT_EQ(dead[0].header("fanout.reason"),
              "retries exhausted after 2 attempts: handler threw: scripted throw for k-boom");
    const std::set<std::int64_t> done = done_offsets(read_deliveries(dir / "record"));
    EXPECT_EQ(done.size(), 49u) << "every other event of the throwing batch is still handled";
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

TEST_F(Failures, StopPolicyHaltsOnlyThatPipelineAndKeepsTheEvent) {
    produce_keyed(30, 12, "k-poison");
    const std::string record = (dir / "record").string();
    ASSERT_NO_FATAL_FAILURE(run(
        make_config(
            prefix, dlq, topic,
            {{"strict", "libfanout_test_scripted.so",
              "      record_path: " + record + "\n      reject_keys: [k-poison]\n", "    on_permanent_error: stop\n"},
             {"audit", "libfanout_example.so", "      path: " + (dir / "audit.jsonl").string() + "\n"}}),
        "audit"));
    ASSERT_TRUE(fanoutd->wait_for_log("[strict] stopped", 20s)) << fanoutd->log();
    EXPECT_TRUE(fanoutd->running()) << "the other pipeline keeps going";
    EXPECT_EQ(admin.committed(prefix + ".strict", topic, 1), std::vector<std::int64_t>{12})
        << "the failed event stays uncommitted for a later restart";
    EXPECT_TRUE(consume_all(dlq, 1, 2s).empty());
    EXPECT_EQ(fanoutd->stop(20s), 0);
}

TEST_F(Failures, UnreachableBrokerIsLoggedAndRetriedNotAConfigError) {
    const auto config = dir.write("fanoutd.yaml",
                                  "kafka: {brokers: 127.0.0.1:1}\nplugins:\n"
                                  "  - name: audit\n    type: library\n    path: " +
                                      (lib_dir() / "libfanout_example.so").string() +
                                      "\n    topics: [t]\n    options: {path: " + (dir / "a.jsonl").string() + "}\n");
    fanoutd.emplace(config, dir / "fanoutd.log");
    fanoutd->start();
    ASSERT_TRUE(fanoutd->wait_for_log("Connection refused", 20s)) << fanoutd->log();
    EXPECT_TRUE(fanoutd->running());
    EXPECT_EQ(fanoutd->stop(20s), 0) << fanoutd->log();
}

TEST_F(Failures, PluginThatCannotStartMakesFanoutdExitUnavailable) {
    admin.create_topic(topic, 1);
    fanoutd.emplace(dir.write("fanoutd.yaml", scripted("broken", "      fail_create: true\n")), dir / "fanoutd.log");
    fanoutd->start();
    EXPECT_EQ(fanoutd->wait_exit(30s), 69) << fanoutd->log();
    EXPECT_NE(fanoutd->log().find("plugin 'broken' failed to start: scripted create failure"), std::string::npos)
        << fanoutd->log();
}
