// fanoutd running the analytics plugin on the real broker, into SQLite and
// into a real PostgreSQL, killed with SIGKILL at random points and
// restarted, or with the database server restarted mid-stream. At the end the analytics tables equal the counts
// computed directly from the events (every like counted exactly once) and nothing was dead-lettered.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "events.hpp"
#include "kafka_test.hpp"
#include "process.hpp"
#include "tables.hpp"
#include "test_database.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr int k_partitions = 4;
constexpr const char* k_plugin = "analytics";

/// Produces a generated stream in paced chunks from a thread of its own,
/// counting every event into the reference as it goes.
class PacedProducer {
public:
    PacedProducer(std::string topic, std::size_t count, std::size_t posts, std::chrono::milliseconds pause)
        : thread_([this, topic = std::move(topic), count, posts, pause] { run(topic, count, posts, pause); }) {}
    ~PacedProducer() {
        if (thread_.joinable()) thread_.join();
    }
    /// Waits for the last event; rethrows a production failure.
    const Tables& finish() {
        if (thread_.joinable()) thread_.join();
        if (!error_.empty()) throw std::runtime_error(error_);
        return reference_.tables();
    }

private:
    void run(const std::string& topic, std::size_t count, std::size_t posts, std::chrono::milliseconds pause) {
        try {
            EventGenerator generator(posts, 2026);
            TestProducer producer;
            constexpr std::size_t k_chunk = 2000;
            for (std::size_t i = 0; i < count; ++i) {
                const GeneratedEvent e = generator.next();
                reference_.apply(e.value);
                producer.produce(topic, e.key, e.value, e.headers);
                if ((i + 1) % k_chunk == 0) {
                    producer.flush();
                    std::this_thread::sleep_for(pause);  // pacing, so kills land while events flow
                }
            }
            producer.flush();
        } catch (const std::exception& e) {
            error_ = e.what();
        }
    }

    ReferenceCounts reference_;
    std::string error_;
    std::thread thread_;
};

struct Scenario {
    std::string topic = unique_name("an-posts");
    std::string prefix = unique_name("an");
    std::string dlq = unique_name("an-dlq");
    KafkaAdmin admin;
    TempDir dir;

    std::string group() const { return prefix + "." + k_plugin; }

    std::filesystem::path config(const TestDatabase& db) const {
        std::ostringstream y;
        y << "kafka:\n"
          << "  brokers: " << brokers() << "\n"
          << "  properties:\n"
          << "    auto.commit.interval.ms: \"200\"\n"
          << "    session.timeout.ms: \"6000\"\n"
          << "    heartbeat.interval.ms: \"500\"\n"
          << "    topic.metadata.refresh.interval.ms: \"1000\"\n"
          // Static membership: a restarted process takes its partitions back
          // at once instead of waiting for the killed one's session to end.
          << "    group.instance.id: \"" << prefix << "-member\"\n"
          << "group_prefix: " << prefix << "\n"
          << "dead_letter_topic: " << dlq << "\n"
          << "drain_timeout_ms: 10000\n"
          << "plugins:\n"
          << "  - name: " << k_plugin << "\n"
          << "    type: library\n"
          << "    path: " << (lib_dir() / "libfanout_analytics.so").string() << "\n"
          << "    topics: [" << topic << "]\n"
          << "    batch: { max_events: 500, linger_ms: 20 }\n"
          // Database outages are waited out, never dead-lettered.
          << "    retry: { max_attempts: 1000000, initial_backoff_ms: 100, max_backoff_ms: 1000 }\n"
          << "    options:\n"
          << "      " << db.connection_option() << "      reconnect_interval_ms: 200\n";
        return dir.write("fanoutd.yaml", y.str());
    }

    std::int64_t end_total() {
        const auto ends = admin.end_offsets(topic, k_partitions);
        return std::accumulate(ends.begin(), ends.end(), std::int64_t{0});
    }
};

void kill_and_restart(DbBackend backend, int kills) {
    Scenario s;
    TestDatabase db(backend);
    const auto consumed = [&] { return analytics_checkpoint_sum(db.session(), s.group()); };
    s.admin.create_topic(s.topic, k_partitions);
    FanoutdProcess fanoutd(s.config(db), s.dir / "fanoutd.log");
    fanoutd.start();

    constexpr std::size_t k_events = 40'000;
    PacedProducer producer(s.topic, k_events, 2'000, 150ms);
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    SCOPED_TRACE("kill points seed " + std::to_string(seed));
    for (int kill = 1; kill <= kills; ++kill) {
        // Kill only once this process made progress, at a random point after.
        const std::int64_t before = std::max<std::int64_t>(0, consumed());
        ASSERT_TRUE(wait_until([&] { return consumed() > before; }, 60s)) << "no progress before kill " << kill << "\n"
                                                                          << fanoutd.log();
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 800));  // the random kill point
        const std::int64_t at = consumed();
        fanoutd.signal(SIGKILL);
        ASSERT_EQ(fanoutd.wait_exit(10s), 128 + SIGKILL);
        if (kill == 1) {
            EXPECT_LT(at, static_cast<std::int64_t>(k_events)) << "the first kill lands mid-stream";
        }
        fanoutd.start();
    }
    const Tables& expected = producer.finish();
    const std::int64_t total = s.end_total();
    ASSERT_EQ(total, static_cast<std::int64_t>(k_events));
    ASSERT_TRUE(wait_until([&] { return consumed() == total; }, 90s))
        << "consumed " << consumed() << " of " << total << "\n"
        << fanoutd.log();
    const Tables actual = read_tables(db.session());
    EXPECT_EQ(actual.total_likes(), expected.total_likes()) << "every like counted exactly once";
    EXPECT_GT(expected.total_likes(), 10'000);
    EXPECT_EQ(actual.posts.size(), expected.posts.size());
    EXPECT_TRUE(actual == expected) << differences(expected, actual);
    EXPECT_TRUE(consume_all(s.dlq, 1, 2s).empty()) << "nothing dead-lettered";
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(30s), 0) << fanoutd.log();
}

TEST(AnalyticsExactlyOnce, SurvivesKill9OnSqlite) { kill_and_restart(DbBackend::sqlite, 5); }

TEST(AnalyticsExactlyOnce, SurvivesKill9OnPostgresql) { kill_and_restart(DbBackend::postgresql, 5); }

/// A PostgreSQL server of this test's own (tools/postgres-dev.sh on a free
/// port and a private run dir), so restarting it disturbs nobody else.
class PrivatePostgres {
public:
    PrivatePostgres() : port_(free_port()), run_base_(private_run_base()) {
        const RunResult r = tool("start", 180s);
        if (r.exit_code != 0) throw std::runtime_error("postgres-dev.sh start failed:\n" + r.output);
        conn_ = tool("conn", 10s).output;
        while (!conn_.empty() && conn_.back() == '\n') conn_.pop_back();
    }
    ~PrivatePostgres() {
        tool("stop", 120s);
        std::error_code ec;
        std::filesystem::remove_all(run_base_, ec);
    }
    const std::string& conn() const { return conn_; }

    /// pg_ctl stop -m fast / start, keeping the data directory.
    void stop() { pg_ctl("stop -m fast -w -t 60"); }
    void start() { pg_ctl("start -w -t 60 -l " + (run_dir() / "postgres.log").string()); }

private:
    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ::close(fd);
            throw std::runtime_error("no free port");
        }
        ::close(fd);
        return ntohs(addr.sin_port);
    }
    static std::filesystem::path private_run_base() {
        const auto base = std::filesystem::temp_directory_path() / unique_name("fanout-an-pg");
        std::filesystem::create_directories(base);
        // The server runs as `postgres` when the tests run as root: it must reach its dir.
        std::filesystem::permissions(base, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);
        return base;
    }
    std::filesystem::path run_dir() const { return run_base_ / ("pg-" + std::to_string(port_)); }
    RunResult tool(const std::string& command, std::chrono::milliseconds timeout) const {
        return run_command({"/usr/bin/env", "PG_PORT=" + std::to_string(port_), "FANOUT_RUN_DIR=" + run_base_.string(),
                            std::string(FANOUT_SOURCE_DIR) + "/tools/postgres-dev.sh", command},
                           timeout);
    }
    void pg_ctl(const std::string& args) const {
        const std::string pg_ctl = "/usr/lib/postgresql/15/bin/pg_ctl " + args + " -D " + (run_dir() / "data").string();
        const std::string as_server = ::geteuid() == 0 ? "runuser -u postgres -- " + pg_ctl : pg_ctl;
        const RunResult r = run_command({"/bin/sh", "-c", "cd " + run_dir().string() + " && " + as_server}, 120s);
        if (r.exit_code != 0) throw std::runtime_error("pg_ctl " + args + " failed:\n" + r.output);
    }

    int port_;
    std::filesystem::path run_base_;
    std::string conn_;
};

TEST(AnalyticsExactlyOnce, WaitsForARestartedPostgresqlAndCatchesUp) {
    postgres_server();  // PostgreSQL tests run only where the suite has one (same policy as the others)
    PrivatePostgres server;
    Scenario s;
    TestDatabase db(DbBackend::postgresql, server.conn());
    const auto consumed = [&] { return analytics_checkpoint_sum(db.session(), s.group()); };
    s.admin.create_topic(s.topic, k_partitions);
    FanoutdProcess fanoutd(s.config(db), s.dir / "fanoutd.log");
    fanoutd.start();

    constexpr std::size_t k_events = 20'000;
    PacedProducer producer(s.topic, k_events, 1'000, 300ms);
    const std::int64_t before = std::max<std::int64_t>(0, consumed());
    ASSERT_TRUE(wait_until([&] { return consumed() > before; }, 60s)) << fanoutd.log();
    db.close_session();
    server.stop();
    // Down while events keep coming: batches fail and are retried, never dead-lettered.
    ASSERT_TRUE(fanoutd.wait_for_log("cannot reach the database", 30s)) << fanoutd.log();
    server.start();
    ASSERT_TRUE(fanoutd.wait_for_log("database connection restored", 30s)) << fanoutd.log();

    const Tables& expected = producer.finish();
    const std::int64_t total = s.end_total();
    ASSERT_TRUE(wait_until([&] { return consumed() == total; }, 90s))
        << "consumed " << consumed() << " of " << total << "\n"
        << fanoutd.log();
    const Tables actual = read_tables(db.session());
    EXPECT_EQ(actual.total_likes(), expected.total_likes()) << "every like counted exactly once";
    EXPECT_TRUE(actual == expected) << differences(expected, actual);
    EXPECT_TRUE(consume_all(s.dlq, 1, 2s).empty()) << "nothing dead-lettered";
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(30s), 0) << fanoutd.log();
}

}  // namespace
