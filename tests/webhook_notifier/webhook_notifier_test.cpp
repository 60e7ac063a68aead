// plugins/webhook_notifier in a real fanoutd on the real broker, posting to a
// real HTTP receiver on 127.0.0.1: every notification arrives, transient
// failures stall only the notifier and lose nothing, 4xx is dead-lettered.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include "fanoutd_run.hpp"
#include "harness.hpp"
#include "webhook_receiver.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr int k_partitions = 4;
// A webhook outage must never exhaust the retries: many attempts, short backoff for the tests.
const std::string k_retry = "    retry: { max_attempts: 100000, initial_backoff_ms: 100, max_backoff_ms: 500 }\n";

bool notifies(const GeneratedEvent& e) { return e.type == "PostCreatedEvent" || e.type == "CommentAddedEvent"; }

std::set<std::string> distinct(const std::vector<std::string>& keys) { return {keys.begin(), keys.end()}; }

struct Scenario : FanoutdRun {
    /// With `count` events already on the topic (none: the test produces its own).
    explicit Scenario(std::size_t count = 0) {
        if (count > 0) expected = produce(count);
    }

    WebhookReceiver receiver;
    std::vector<GeneratedEvent> events;
    std::set<std::string> expected;  ///< the ids that must notify

    /// Events of the generator on a fresh topic; returns the ids that must notify.
    std::set<std::string> produce(std::size_t count) {
        admin.create_topic(topic, k_partitions);
        events = produce_events(topic, count, 60);
        std::set<std::string> ids;
        for (const auto& e : events) {
            if (notifies(e)) ids.insert(e.event_id);
        }
        return ids;
    }

    PluginSpec notifier(const std::string& url, const std::string& more_options = "", int timeout_ms = 2000) const {
        return {"notify", "libfanout_webhook_notifier.so",
                "      url: " + url + "\n      timeout_ms: " + std::to_string(timeout_ms) +
                    "\n      headers: [\"X-Fanout-Test: yes\"]\n" + more_options,
                k_retry};
    }

    /// fanoutd with `plugins` on the topic (and `more` config lines), started.
    FanoutdProcess& start(const std::vector<PluginSpec>& plugins, const std::string& more = "") {
        return FanoutdRun::start(make_config(prefix, dlq, topic, plugins) + more);
    }
    bool committed(const std::string& plugin) { return FanoutdRun::committed(plugin, k_partitions); }
    ::testing::AssertionResult wait_committed(const std::string& plugin) {
        return FanoutdRun::wait_committed(plugin, k_partitions, 60s);
    }
    /// Nothing was dead-lettered; then SIGTERM and a clean exit.
    void stop_with_no_dead_letters(const char* why = "nothing dead-lettered") {
        EXPECT_TRUE(consume_all(dlq, 1, 1s).empty()) << why;
        stop();
    }
    /// Every notification accepted, repeats only of the same key; then as stop_with_no_dead_letters.
    void stop_with_all_delivered() {
        EXPECT_EQ(distinct(receiver.accepted_keys()), expected);
        stop_with_no_dead_letters();
    }
};

std::string rfc3339(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

}  // namespace

TEST(WebhookNotifierIntegration, EveryNotifyingEventArrivesOnceWithItsIdempotencyKey) {
    Scenario s(400);
    s.receiver.start();
    s.start({s.notifier(s.receiver.url())});
    ASSERT_TRUE(s.wait_committed("notify"));

    std::map<std::string, const GeneratedEvent*> by_id;
    for (const auto& e : s.events) by_id[e.event_id] = &e;
    const auto requests = s.receiver.requests();
    std::multiset<std::string> keys;
    for (const auto& r : requests) {
        keys.insert(r.idempotency_key);
        EXPECT_EQ(r.path, "/hooks/posts");
        EXPECT_EQ(r.content_type, "application/json");
        EXPECT_EQ(r.test_header, "yes");
        rapidjson::Document body;
        ASSERT_FALSE(body.Parse(r.body.c_str()).HasParseError()) << r.body;
        ASSERT_TRUE(by_id.count(r.idempotency_key)) << r.idempotency_key;
        const GeneratedEvent& e = *by_id[r.idempotency_key];
        EXPECT_EQ(std::string(body["eventId"].GetString()), e.event_id) << "idempotency key = event id";
        EXPECT_EQ(std::string(body["event"].GetString()), e.type);
        EXPECT_EQ(std::string(body["postId"].GetString()), e.key);
        EXPECT_TRUE(body["data"].IsObject());
    }
    EXPECT_EQ(keys.size(), s.expected.size()) << "each notification exactly once";
    s.stop_with_all_delivered();
}

TEST(WebhookNotifierIntegration, ReceiverAnswering503StallsTheNotifierThenEverythingArrives) {
    Scenario s(300);
    // The responder's state lives in it: the receiver (in s) outlasts the test's locals.
    s.receiver.set_responder([answered = 0](const WebhookReceiver::Request&) mutable {
        return ++answered <= 25 ? std::pair<int, std::string>{503, "busy"} : std::pair<int, std::string>{200, "ok"};
    });
    s.receiver.start();
    const FanoutdProcess& fanoutd = s.start({s.notifier(s.receiver.url())});
    ASSERT_TRUE(s.wait_committed("notify"));

    EXPECT_EQ(s.receiver.count_status(503), 25u);
    const auto accepted = s.receiver.accepted_keys();
    EXPECT_EQ(distinct(accepted), s.expected) << "none missing, none extra";
    // Duplicates are allowed only as repeats of the same idempotency key: the set check above.
    EXPECT_NE(fanoutd.log().find("[notify] delivery failed status=503 attempt=1 event="), std::string::npos)
        << fanoutd.log();
    s.stop_with_no_dead_letters("transient failures are never dead-lettered");
}

TEST(WebhookNotifierIntegration, ReceiverDownThenUpDeliversEverythingAfterItComesUp) {
    Scenario s(300);
    const int port = s.receiver.start();
    s.receiver.stop();  // a port nobody listens on: connections are refused
    const FanoutdProcess& fanoutd = s.start({s.notifier(s.receiver.url())});
    ASSERT_TRUE(fanoutd.wait_for_log("delivery failed error=", 30s, 3)) << fanoutd.log();
    EXPECT_FALSE(s.committed("notify")) << "nothing is acknowledged while the receiver is down";

    s.receiver.start(port);
    ASSERT_TRUE(s.wait_committed("notify"));
    s.stop_with_all_delivered();
}

TEST(WebhookNotifierIntegration, ATimedOutRequestIsRetriedNotLost) {
    Scenario s(200);
    s.receiver.delay_next(3, 1500ms);  // longer than timeout_ms below
    s.receiver.start();
    const FanoutdProcess& fanoutd = s.start({s.notifier(s.receiver.url(), "", 300)});
    ASSERT_TRUE(s.wait_committed("notify"));
    EXPECT_NE(fanoutd.log().find("[notify] delivery failed error=Read attempt=1 event="), std::string::npos)
        << fanoutd.log();
    // The timed-out requests may have been processed by the receiver: repeats carry the same key.
    s.stop_with_all_delivered();
}

TEST(WebhookNotifierIntegration, A400AnswerDeadLettersThatEventAndLaterOnesAreStillDelivered) {
    Scenario s(300);
    // The poison event: a notifying event with later notifying events on its post (same partition).
    const GeneratedEvent* poison = nullptr;
    for (const auto& e : s.events) {
        if (e.type == "PostCreatedEvent" && !poison) poison = &e;
    }
    ASSERT_NE(poison, nullptr);
    const std::string poison_id = poison->event_id;
    s.receiver.set_responder([poison_id](const WebhookReceiver::Request& r) {
        return r.idempotency_key == poison_id ? std::pair<int, std::string>{400, "{\"error\":\"unknown author\"}"}
                                              : std::pair<int, std::string>{200, "ok"};
    });
    s.receiver.start();
    s.start({s.notifier(s.receiver.url())});
    ASSERT_TRUE(s.wait_committed("notify"));

    const auto dead = consume_all(s.dlq, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].header("event-id"), poison_id);
    EXPECT_EQ(dead[0].header("fanout.plugin"), "notify");
    const std::string reason = dead[0].header("fanout.reason");
    EXPECT_NE(reason.find("HTTP 400"), std::string::npos) << reason;
    EXPECT_NE(reason.find("unknown author"), std::string::npos) << "body excerpt: " << reason;
    EXPECT_EQ(dead[0].header("fanout.attempts"), "1") << "4xx is not retried";

    auto delivered = s.expected;
    delivered.erase(poison_id);
    EXPECT_EQ(distinct(s.receiver.accepted_keys()), delivered) << "every other notification, later ones included";
    s.stop();
}

TEST(WebhookNotifierIntegration, SkipReplayAcknowledgesOldEventsWithoutSending) {
    Scenario s;
    s.admin.create_topic(s.topic, 1);
    TestProducer producer;
    std::set<std::string> fresh, old;
    const auto now = std::chrono::system_clock::now();
    for (int i = 0; i < 40; ++i) {
        // A rebuild replays history first (old), then live events follow; 30..34
        // are recent but republished by restoreReadDb, which marks them.
        const bool is_old = i < 30;
        const bool marked = i >= 30 && i < 35;
        const std::string id = "00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
        const std::string post = "post-" + std::to_string(i);
        const std::string when = rfc3339(is_old ? now - 2h : now - 5s);
        std::vector<std::pair<std::string, std::string>> headers{{"event-type", "PostCreatedEvent"}, {"event-id", id}};
        if (marked) headers.emplace_back("fanout-replay", "true");
        producer.produce(s.topic, post,
                         make_envelope(id, "PostCreatedEvent", post, 1, i + 1, when,
                                       "{\"author\":\"a\",\"message\":\"m\",\"datePosted\":\"" + when + "\"}"),
                         headers);
        (is_old || marked ? old : fresh).insert(id);
    }
    producer.flush();
    s.receiver.start();
    WebhookReceiver free_port;  // a port for the admin endpoint
    const int admin_port = free_port.start();
    free_port.stop();
    s.start({s.notifier(s.receiver.url(), "      skip_replay: true\n      replay_threshold_ms: 600000\n")},
            "admin:\n  listen: 127.0.0.1:" + std::to_string(admin_port) + "\n");
    ASSERT_TRUE(s.FanoutdRun::wait_committed("notify", 1, 60s));
    EXPECT_EQ(distinct(s.receiver.accepted_keys()), fresh) << "only live events notify, not old or marked ones";
    EXPECT_EQ(s.receiver.requests().size(), fresh.size());

    httplib::Client admin("127.0.0.1", admin_port);
    const auto metrics = admin.Get("/metrics");
    ASSERT_TRUE(metrics) << "admin endpoint";
    EXPECT_NE(metrics->body.find("fanout_plugin_counter_total{plugin=\"notify\",name=\"skipped_replay\"} 35"),
              std::string::npos)
        << metrics->body;
    EXPECT_NE(metrics->body.find("fanout_plugin_counter_total{plugin=\"notify\",name=\"sent\"} 5"), std::string::npos)
        << metrics->body;
    s.stop();
}

TEST(WebhookNotifierIntegration, WithTheReceiverDownOnlyTheNotifierStallsTheAuditLogKeepsUp) {
    Scenario s(400);
    const int port = s.receiver.start();
    s.receiver.stop();
    const auto audit = s.dir / "audit.jsonl";
    s.start({s.notifier(s.receiver.url()), {"audit", "libfanout_example.so", "      path: " + audit.string() + "\n"}});
    ASSERT_TRUE(s.wait_committed("audit"));
    const auto ends = s.admin.end_offsets(s.topic, k_partitions);
    const auto seen = audit_coordinates(audit);
    EXPECT_EQ(std::set<Coordinate>(seen.begin(), seen.end()), all_coordinates(ends)) << "the audit log has every event";
    EXPECT_FALSE(s.committed("notify")) << "the notifier is stalled, not skipping";
    EXPECT_TRUE(s.receiver.accepted_keys().empty());

    s.receiver.start(port);
    ASSERT_TRUE(s.wait_committed("notify"));
    EXPECT_EQ(distinct(s.receiver.accepted_keys()), s.expected) << "every notification arrives, none missing";
    s.stop_with_no_dead_letters();
}
