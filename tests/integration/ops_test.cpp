// Operations on the real broker: systemd notify + watchdog, the admin
// endpoints (metrics read by Prometheus' own parser), hot reload.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <regex>

#include <gtest/gtest.h>
#include <httplib.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

using Admin = TopicTest;
using Prefetch = TopicTest;
using Reload = TopicTest;
using Systemd = TopicTest;
using Clock = std::chrono::steady_clock;

namespace {

/// A NOTIFY_SOCKET listener, as systemd has: a unix datagram socket.
class NotifyListener {
public:
    explicit NotifyListener(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind notify");
        timeval tv{0, 100'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifyListener() { ::close(fd_); }

    struct Message {
        Clock::time_point at;
        std::string text;
    };

    /// Receive for up to `timeout`, stopping early once `until` matches.
    void receive(std::chrono::milliseconds timeout, const std::function<bool(const std::string&)>& until = {}) {
        const auto deadline = Clock::now() + timeout;
        char buf[4096];
        while (Clock::now() < deadline) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) continue;
            messages.push_back({Clock::now(), std::string(buf, static_cast<std::size_t>(n))});
            if (until && until(messages.back().text)) return;
        }
    }

    std::vector<Message> messages;

private:
    std::filesystem::path path_;
    int fd_;
};

std::string python() {
    const char* p = std::getenv("FANOUT_TEST_PYTHON");
    if (p == nullptr || *p == '\0') {
        ADD_FAILURE() << "FANOUT_TEST_PYTHON is not set: run tools/test.sh, or export FANOUT_TEST_PYTHON=$(tools/python-env.sh)";
        throw std::runtime_error("FANOUT_TEST_PYTHON unset");
    }
    return p;
}

}  // namespace

TEST_F(Systemd, NotifiesReadyWatchdogAndStopping) {
    admin.create_topic(topic, 2);
    NotifyListener notify(dir / "notify.sock");
    const auto config =
        write_config({{"audit", "libfanout_example.so", "      path: " + (dir / "a.jsonl").string() + "\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.set_env("NOTIFY_SOCKET", (dir / "notify.sock").string());
    fanoutd.set_env("WATCHDOG_USEC", "1000000");
    fanoutd.start();
    notify.receive(30s, [](const std::string& m) { return has(m, "READY=1"); });
    ASSERT_FALSE(notify.messages.empty()) << fanoutd.log();
    EXPECT_TRUE(has(notify.messages.back().text, "READY=1")) << fanoutd.log();
    EXPECT_TRUE(has(notify.messages.back().text, "STATUS=audit running")) << notify.messages.back().text;

    notify.messages.clear();
    notify.receive(2s);
    int pings = 0;
    for (const auto& m : notify.messages) pings += has(m.text, "WATCHDOG=1");
    EXPECT_GE(pings, 3) << "pings at half the 1 s interval while idle";

    fanoutd.signal(SIGTERM);
    notify.receive(10s, [](const std::string& m) { return has(m, "STOPPING=1"); });
    EXPECT_TRUE(has(notify.messages.back().text, "STOPPING=1"));
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST_F(Systemd, WatchdogStopsWhileAPluginIsWedged) {
    admin.create_topic(topic, 1);
    NotifyListener notify(dir / "notify.sock");
    const auto config =
        write_config({{"wedged", "libfanout_test_scripted.so",
                       "      record_path: " + (dir / "record").string() + "\n      sleep_ms: 5000\n"}});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.set_env("NOTIFY_SOCKET", (dir / "notify.sock").string());
    fanoutd.set_env("WATCHDOG_USEC", "1000000");
    fanoutd.start();
    notify.receive(30s, [](const std::string& m) { return has(m, "READY=1"); });
    ASSERT_TRUE(!notify.messages.empty() && has(notify.messages.back().text, "READY=1")) << fanoutd.log();

    produce_events(topic, 1);  // the plugin now sleeps 5 s inside handle()
    ASSERT_TRUE(wait_until([&] { return !read_lines(dir / "record").empty(); }, 20s)) << fanoutd.log();
    const auto wedged_at = Clock::now();
    notify.messages.clear();
    notify.receive(3s);
    for (const auto& m : notify.messages) {
        EXPECT_FALSE(has(m.text, "WATCHDOG=1") && m.at - wedged_at > 1500ms)
            << "watchdog pinged while the plugin was stuck for "
            << std::chrono::duration_cast<std::chrono::milliseconds>(m.at - wedged_at).count() << " ms";
    }
    // Once the plugin returns, the pings resume.
    notify.messages.clear();
    notify.receive(8s, [](const std::string& m) { return has(m, "WATCHDOG=1"); });
    ASSERT_FALSE(notify.messages.empty());
    EXPECT_TRUE(has(notify.messages.back().text, "WATCHDOG=1"));
    fanoutd.signal(SIGKILL);
}

TEST_F(Admin, MetricsParseWithPrometheusParserAndMatchKnownCounts) {
    admin.create_topic(topic, 1);
    produce_keyed(topic, 200, 50, "k-poison");
    std::string yaml =
        make_config(prefix, dlq, topic,
                    {{"scripted", "libfanout_test_scripted.so",
                      "      record_path: " + (dir / "record").string() + "\n      reject_keys: [k-poison]\n"}});
    yaml = with_admin(yaml);
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".scripted", topic, 1); }, 60s)) << fanoutd.log();
    const int port = admin_port(fanoutd);
    ASSERT_GT(port, 0) << fanoutd.log();

    httplib::Client client("127.0.0.1", port);
    auto ready = client.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    auto health = client.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto plugins = client.Get("/plugins");
    ASSERT_TRUE(plugins);
    EXPECT_TRUE(has(plugins->body, "\"name\":\"scripted\"")) << plugins->body;
    EXPECT_TRUE(has(plugins->body, "\"group\":\"" + prefix + ".scripted\"")) << plugins->body;
    EXPECT_TRUE(has(plugins->body, "\"state\":\"running\"")) << plugins->body;
    EXPECT_TRUE(has(plugins->body, "\"partition\":0")) << plugins->body;
    EXPECT_EQ(client.Get("/nope")->status, 404);

    std::map<std::string, double> samples;
    ASSERT_TRUE(wait_until(
        [&] {
            auto metrics = client.Get("/metrics");
            if (!metrics || metrics->status != 200) return false;
            const auto file = dir.write("metrics.txt", metrics->body);
            const auto parsed = run_command({python(), std::string(FANOUT_SOURCE_DIR) + "/tests/integration/parse_metrics.py",
                                             file.string()});
            EXPECT_EQ(parsed.exit_code, 0) << parsed.output;
            samples.clear();
            std::istringstream lines(parsed.output);
            for (std::string line; std::getline(lines, line);) {
                const auto a = line.find('|'), b = line.rfind('|');
                if (a != std::string::npos && b != a) samples[line.substr(0, b)] = std::stod(line.substr(b + 1));
            }
            // The lag gauge is refreshed once a second.
            return samples.count("fanout_consumer_lag|partition=0,plugin=scripted,topic=" + topic) &&
                   samples["fanout_consumer_lag|partition=0,plugin=scripted,topic=" + topic] == 0;
        },
        20s))
        << fanoutd.log();
    EXPECT_EQ(samples["fanout_events_total|outcome=done,plugin=scripted"], 199);
    EXPECT_EQ(samples["fanout_events_total|outcome=dead_lettered,plugin=scripted"], 1);
    EXPECT_EQ(samples["fanout_events_total|outcome=retried,plugin=scripted"], 0);
    EXPECT_EQ(samples["fanout_pipeline_up|plugin=scripted"], 1);
    EXPECT_EQ(samples["fanout_batch_size_sum|plugin=scripted"], 200);
    EXPECT_GE(samples["fanout_handler_duration_seconds_count|plugin=scripted"], 1);
    EXPECT_EQ(samples["fanout_plugin_counter_total|name=deliveries,plugin=scripted"], 200);
    EXPECT_GT(samples["process_resident_memory_bytes|"], 1e6);
    EXPECT_GT(samples["process_cpu_seconds_total|"], 0);
    EXPECT_EQ(fanoutd.stop(20s), 0);
}

// librdkafka 2.0 stops fetching once a consumer's local queue is over its
// limit and looks again only when its broker thread wakes, up to a second
// later: a small queue would then deliver one fetch per second. fanoutd
// wakes the fetchers when less than a batch is queued. With an 8 KB queue and
// fetches of at most 8 KB per partition, the 6,000 events here (in 60 small
// record batches) take about 60 fetch rounds: at one round per second that is
// over the 25 s allowed; woken, a few seconds.
TEST_F(Prefetch, ASmallFullQueueIsRefilledWithoutWaitingForTheBrokerThread) {
    constexpr int k_partitions = 2;
    constexpr std::size_t k_events = 6000;
    admin.create_topic(topic, k_partitions);
    produce_events(topic, k_events, 100, 100);  // 60 small record batches, each its own fetch
    std::string yaml =
        make_config(prefix, dlq, topic,
                    {{"audit", "libfanout_example.so", "      path: " + (dir / "a.jsonl").string() + "\n",
                      "    batch: { max_events: 200, linger_ms: 5 }\n"}});
    yaml.replace(yaml.find("  properties:\n"), 14,
                 "  properties:\n    queued.max.messages.kbytes: \"8\"\n    max.partition.fetch.bytes: \"8192\"\n");
    yaml = with_admin(yaml);
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    ASSERT_EQ(expected.size(), k_events);
    ASSERT_TRUE(wait_until(
        [&] {
            const auto seen = audit_coordinates(dir / "a.jsonl");
            return std::set<Coordinate>(seen.begin(), seen.end()) == expected;
        },
        25s))
        << "fetches stalled: " << audit_coordinates(dir / "a.jsonl").size() << " of " << k_events << " events seen\n"
        << fanoutd.log();

    const int port = admin_port(fanoutd);
    ASSERT_GT(port, 0) << fanoutd.log();
    httplib::Client client("127.0.0.1", port);
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    std::smatch m;
    const std::string body = metrics->body;
    ASSERT_TRUE(std::regex_search(body, m, std::regex("fanout_fetch_wakeups_total\\{plugin=\"audit\"\\} ([0-9]+)")))
        << body;
    EXPECT_GT(std::stoll(m[1]), 0) << body;
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST_F(Reload, SighupAddsAndRemovesPluginsWithoutTouchingTheOthers) {
    constexpr int k_partitions = 3;
    admin.create_topic(topic, k_partitions);
    const PluginSpec keep{"keep", "libfanout_example.so", "      path: " + (dir / "keep.jsonl").string() + "\n"};
    const PluginSpec leave{"leave", "libfanout_example.so", "      path: " + (dir / "leave.jsonl").string() + "\n"};
    const PluginSpec added{"added", "libfanout_example.so", "      path: " + (dir / "added.jsonl").string() + "\n"};
    const auto config = write_config({keep, leave});
    FanoutdProcess fanoutd(config, dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("ready: every plugin joined", 30s)) << fanoutd.log();

    // Events keep arriving until the reload is applied and for a while after,
    // so the removed plugin stops mid-stream however long the reload takes.
    std::atomic<bool> reloaded{false};
    std::thread producer([&] {
        for (int round = 0; round < 600 && !reloaded; ++round) {
            produce_events(topic, 500);
            std::this_thread::sleep_for(100ms);
        }
        for (int round = 0; round < 3; ++round) {
            produce_events(topic, 500);
            std::this_thread::sleep_for(100ms);
        }
    });
    ASSERT_TRUE(wait_until([&] { return read_lines(dir / "keep.jsonl").size() >= 500; }, 30s));

    // An invalid new config leaves everything running.
    dir.write("fanoutd.yaml", "kafka: {brokers: x}\nplugins: 3\n");
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("reload rejected", 10s)) << fanoutd.log();

    write_config({keep, added});
    fanoutd.signal(SIGHUP);
    const bool applied =
        fanoutd.wait_for_log("reload applied: kept 1 (0 reloading from disk), stopped 1, started 1", 30s);
    reloaded = true;
    producer.join();
    ASSERT_TRUE(applied) << fanoutd.log();

    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".keep", topic, k_partitions); }, 60s));
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".added", topic, k_partitions); }, 60s))
        << fanoutd.log();
    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    for (const char* file : {"keep.jsonl", "added.jsonl"}) {
        const auto seen = audit_coordinates(dir / file);
        EXPECT_EQ(std::set<Coordinate>(seen.begin(), seen.end()), expected) << file;
    }
    const auto keep_seen = audit_coordinates(dir / "keep.jsonl");
    EXPECT_EQ(keep_seen.size(), expected.size()) << "the untouched plugin never paused or replayed";
    const std::string log = fanoutd.log();
    EXPECT_FALSE(has(log, "[keep] stopped")) << log;
    EXPECT_TRUE(has(log, "[leave] stopped")) << log;
    EXPECT_LT(read_lines(dir / "leave.jsonl").size(), expected.size()) << "the removed plugin stopped mid-stream";
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}
