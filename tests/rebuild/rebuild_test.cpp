// A blue/green rebuild of the read model, end to end on the real broker and
// PostgreSQL: fanoutd runs the read model while events keep arriving, post-query
// is polled all along; `fanoutctl rebuild` builds generation 1 from offset 0,
// fanoutd is killed with SIGKILL in the middle and resumes the rebuild when it
// starts again; the switch happens, no answer of post-query ever fails or goes
// back in time (a post's likes never decrease: the stream only adds likes), the
// rebuilt generation equals the reference folded from the events, and the old
// generation is dropped after its grace period.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "fanout/sql/connection.hpp"
#include "fanout/sql/generations.hpp"
#include "fanoutd_config.hpp"
#include "fanoutd_run.hpp"
#include "http_request.hpp"
#include "model.hpp"
#include "paced_producer.hpp"
#include "post_query_process.hpp"
#include "process.hpp"
#include "test_database.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

HttpReply get(httplib::Client& client, const std::string& target) {
    return send_request(client, "GET", target, "", {}, "", {});
}

constexpr int k_partitions = 4;
constexpr const char* k_token = "rebuild-operator-token-7c1";
constexpr const char* k_component = "read_model";
constexpr const char* k_checkpoints = "checkpoints";  // the read model's checkpoint table

/// What the poller saw of post-query: every answer must be a 200 whose likes
/// never go below what an earlier answer showed for the same post.
class Poller {
public:
    Poller(int port, std::vector<std::string> posts) : client_("127.0.0.1", port), posts_(std::move(posts)) {
        client_.set_connection_timeout(5);
        client_.set_read_timeout(10);
        thread_ = std::thread([this] { run(); });
    }
    ~Poller() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::size_t answers() const { return answers_; }
    std::vector<std::string> problems() {
        std::lock_guard lock(mutex_);
        return problems_;
    }

private:
    void run() {
        static const std::regex likes(R"re("likes":(\d+))re");
        std::map<std::string, long long> seen;
        while (!stop_) {
            for (const std::string& id : posts_) {
                if (stop_) break;
                const HttpReply r = get(client_, "/api/v1/postlookup/byid/" + id);
                ++answers_;
                std::smatch m;
                if (r.status != 200 || !std::regex_search(r.body, m, likes)) {
                    note("GET " + id + " answered " + std::to_string(r.status) + ": " + r.body.substr(0, 200));
                    continue;
                }
                const long long now = std::stoll(m[1].str());
                if (now < seen[id]) {
                    note("post " + id + " went back from " + std::to_string(seen[id]) + " likes to " +
                         std::to_string(now));
                }
                seen[id] = std::max(seen[id], now);
            }
        }
    }
    void note(std::string problem) {
        std::lock_guard lock(mutex_);
        if (problems_.size() < 20) problems_.push_back(std::move(problem));
    }

    httplib::Client client_;
    const std::vector<std::string> posts_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> answers_{0};
    std::mutex mutex_;
    std::vector<std::string> problems_;
    std::thread thread_;
};

struct RebuildRun : FanoutdRun {
    RebuildRun() : FanoutdRun("rebuild") { admin.create_topic(topic, k_partitions); }

    std::string config(const TestDatabase& db) {
        std::ostringstream y;
        y << config_header({prefix, dlq}) << "rebuild_retire_after_s: 3\n"
          << "admin:\n  listen: 127.0.0.1:0\n  control_token_file: "
          << dir.write("control.token", std::string(k_token) + "\n").string() << "\n"
          << "plugins:\n"
          << "  - name: read_model\n"
          << "    type: library\n"
          << "    path: " << (lib_dir() / "libfanout_sql_read_model.so").string() << "\n"
          << "    topics: [" << topic << "]\n"
          << "    batch: { max_events: 500, linger_ms: 10 }\n"
          << "    retry: { max_attempts: 2, initial_backoff_ms: 100, max_backoff_ms: 500 }\n"
          << "    options:\n"
          << "      " << db.connection_option();
        return y.str();
    }

    RunResult ctl(FanoutdProcess& fanoutd, const std::vector<std::string>& args) {
        return run_fanoutctl(fanoutd, args, dir / "control.token");
    }

    /// GET on fanoutd's admin endpoint.
    HttpReply admin_get(FanoutdProcess& fanoutd, const std::string& target) {
        httplib::Client client("127.0.0.1", admin_port(fanoutd));
        return get(client, target);
    }
};

/// The read model's generation pointer.
fanout::sql::GenerationPointer pointer(TestDatabase& db) {
    fanout::sql::Generations generations(db.session(), k_component);
    return generations.read();
}

std::string base_schema(TestDatabase& db) {
    std::string base;
    db.session() << "SELECT current_schema()", soci::into(base);
    return base;
}

/// Events the read model's checkpoints cover in generation `g`.
long long consumed(TestDatabase& db, const std::string& group, int g) {
    try {
        long long sum = 0;
        soci::indicator ind = soci::i_null;
        const auto query = [&](soci::session& s, const std::string& table) {
            s << "SELECT SUM(next_offset) FROM " + table + " WHERE consumer_group = :g AND next_offset > 0",
                soci::use(group), soci::into(sum, ind);
        };
        if (g == 0) {
            query(db.session(), k_checkpoints);
        } else if (db.backend() == DbBackend::postgresql) {
            query(db.session(), "\"" + fanout::sql::generation_schema(base_schema(db), k_component, g) + "\"." +
                                    k_checkpoints);
        } else {
            soci::session s;
            fanout::sql::open_session(s, "sqlite:" + fanout::sql::generation_sqlite_file(db.connection(), g));
            query(s, k_checkpoints);
        }
        return ind == soci::i_ok ? sum : 0;
    } catch (const std::exception&) {
        return -1;  // not there yet
    }
}

/// The read model's tables in generation `g`.
Model read_generation(TestDatabase& db, int g) {
    const std::string base = base_schema(db);
    db.session() << "SET search_path TO \"" + fanout::sql::generation_schema(base, k_component, g) + "\"";
    Model m = read_model(db.session());
    db.session() << "SET search_path TO \"" + base + "\"";
    return m;
}

}  // namespace

TEST(Rebuild, TheReadModelIsRebuiltUnderLoadWhilePostQueryServesItAndAKill9MidRebuildResumes) {
    RebuildRun run;
    TestDatabase db(DbBackend::postgresql);
    const std::string config = run.config(db);
    const std::string group = run.group("read_model");

    std::mutex mutex;
    ReferenceModel reference;
    std::vector<std::string> posts;
    std::set<std::string> known;
    std::atomic<long long> produced{0};
    // A steady stream: 400 events every 100 ms (4,000/s) for 12 s.
    PacedProducer producer(run.topic, Pace{.events = 48'000, .posts = 100, .seed = 11, .pause = 100ms, .chunk = 400},
                           [&](const GeneratedEvent& e) {
                               std::lock_guard lock(mutex);
                               reference.apply(e.value);
                               if (known.insert(e.key).second) posts.push_back(e.key);
                               ++produced;
                           });

    std::optional<FanoutdProcess> fanoutd;
    fanoutd.emplace(run.dir.write("fanoutd.yaml", config), run.dir / "fanoutd-1.log");
    fanoutd->start();
    ASSERT_TRUE(fanoutd->wait_for_log("ready: every plugin joined", 60s)) << fanoutd->log();

    // Generation 0 serves the first part of the stream.
    ASSERT_TRUE(wait_until([&] { return produced >= 8'000 && consumed(db, group, 0) >= 8'000; }, 60s))
        << fanoutd->log();
    PostQueryProcess post_query(serve_args(db.connection()), run.dir / "post-query.log");
    ASSERT_TRUE(post_query.start());
    std::vector<std::string> sample;
    {
        std::lock_guard lock(mutex);
        sample.assign(posts.begin(), posts.begin() + std::min<std::size_t>(posts.size(), 40));
    }
    ASSERT_GE(sample.size(), 20u);
    ASSERT_TRUE(wait_until([&] { return consumed(db, group, 0) >= produced / 2; }, 30s));
    Poller poller(post_query.port(), sample);

    // The rebuild starts while events keep arriving.
    const RunResult started = run.ctl(*fanoutd, {"rebuild", "read_model", "--no-wait"});
    ASSERT_EQ(started.exit_code, 0) << started.output << fanoutd->log();
    const RunResult again = run.ctl(*fanoutd, {"rebuild", "read_model", "--no-wait"});
    EXPECT_EQ(again.exit_code, 1) << "a second rebuild of the same plugin is refused: " << again.output;
    EXPECT_NE(again.output.find("runs already"), std::string::npos) << again.output;

    // SIGKILL once the rebuild has written part of generation 1, before it switched.
    ASSERT_TRUE(wait_until([&] { return consumed(db, group, 1) > 0; }, 60s)) << fanoutd->log();
    const fanout::sql::GenerationPointer before = pointer(db);
    ASSERT_EQ(before.building, std::optional<int>(1)) << "killed before the switch, or the test is too slow";
    EXPECT_EQ(before.live, 0);
    fanoutd->signal(SIGKILL);
    fanoutd->wait_exit(10s);
    const long long at_kill = consumed(db, group, 1);

    // Started again, fanoutd resumes the rebuild by itself, from generation 1's checkpoints.
    fanoutd.emplace(run.dir / "fanoutd.yaml", run.dir / "fanoutd-2.log");
    fanoutd->start();
    ASSERT_TRUE(fanoutd->wait_for_log("resuming the rebuild", 60s)) << fanoutd->log();
    ASSERT_TRUE(wait_until(
        [&] { return run.admin_get(*fanoutd, "/plugins/read_model/rebuild").body.find("\"state\":\"switched\"") !=
                     std::string::npos; },
        180s))
        << run.admin_get(*fanoutd, "/plugins/read_model/rebuild").body << fanoutd->log();
    const fanout::sql::GenerationPointer after = pointer(db);
    EXPECT_EQ(after.live, 1);
    EXPECT_FALSE(after.building);
    EXPECT_GE(consumed(db, group, 1), at_kill) << "resumed, not started over";
    EXPECT_NE(fanoutd->log().find("going on rebuilding read model into generation 1"), std::string::npos)
        << "the resumed rebuild went on in generation 1: " << fanoutd->log();

    // Every event reaches generation 1, through the live instance after the switch.
    producer.finish();
    const long long total = produced;
    ASSERT_TRUE(wait_until([&] { return consumed(db, group, 1) == total; }, 120s))
        << consumed(db, group, 1) << " of " << total << "\n" << fanoutd->log();
    std::this_thread::sleep_for(1500ms);  // post-query's pointer cache, and a few more polls
    poller.stop();
    EXPECT_GT(poller.answers(), 200u);
    EXPECT_TRUE(poller.problems().empty()) << ::testing::PrintToString(poller.problems());
    {
        std::lock_guard lock(mutex);
        const Model rebuilt = read_generation(db, 1);
        EXPECT_TRUE(rebuilt == reference.model()) << differences(reference.model(), rebuilt);
    }

    // The grace period (3 s) over, generation 0's tables are gone; post-query still answers.
    ASSERT_TRUE(wait_until([&] { return !pointer(db).retired; }, 30s)) << fanoutd->log();
    int base_posts = -1;
    db.session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND "
                    "table_name = 'posts'",
        soci::into(base_posts);
    EXPECT_EQ(base_posts, 0);
    httplib::Client query("127.0.0.1", post_query.port());
    EXPECT_EQ(get(query, "/api/v1/postlookup/byid/" + sample.front()).status, 200);

    const RunResult status = run.ctl(*fanoutd, {"rebuild", "status", "read_model"});
    EXPECT_EQ(status.exit_code, 0) << status.output;
    EXPECT_NE(status.output.find("switched"), std::string::npos) << status.output;
    const std::string metrics = run.admin_get(*fanoutd, "/metrics").body;
    EXPECT_NE(metrics.find("fanout_rebuild_active{plugin=\"read_model\"} 0"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("fanout_rebuilds_switched_total{plugin=\"read_model\"} 1"), std::string::npos);

    fanoutd->signal(SIGTERM);
    EXPECT_EQ(fanoutd->wait_exit(30s), 0) << fanoutd->log();
}

TEST(Rebuild, OnlyAProjectionCanBeRebuiltAndStartingOneNeedsTheToken) {
    RebuildRun run;
    const std::string yaml = config_header({run.prefix, run.dlq}) +
                             "admin:\n  listen: 127.0.0.1:0\n  control_token_file: " +
                             run.dir.write("control.token", std::string(k_token) + "\n").string() +
                             "\nplugins:\n  - name: audit\n    type: library\n    path: " +
                             (lib_dir() / "libfanout_example.so").string() + "\n    topics: [" + run.topic +
                             "]\n    options:\n      path: " + (run.dir / "audit.jsonl").string() + "\n";
    FanoutdProcess& fanoutd = run.start(yaml);
    ASSERT_TRUE(fanoutd.wait_for_log("ready: every plugin joined", 60s)) << fanoutd.log();

    const RunResult refused = run.ctl(fanoutd, {"rebuild", "audit", "--no-wait"});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find("does not keep its tables in generations"), std::string::npos) << refused.output;
    const RunResult unknown = run.ctl(fanoutd, {"rebuild", "nope", "--no-wait"});
    EXPECT_EQ(unknown.exit_code, 66) << unknown.output;

    httplib::Client client("127.0.0.1", admin_port(fanoutd));
    EXPECT_EQ(send_request(client, "POST", "/plugins/audit/rebuild", "", {}, "", {}).status, 401) << "starting needs the token";
    const HttpReply progress = get(client, "/plugins/audit/rebuild");
    EXPECT_EQ(progress.status, 200) << "reading the progress does not";
    EXPECT_NE(progress.body.find("\"state\":\"idle\""), std::string::npos) << progress.body;
    run.stop();
}

TEST(Rebuild, IsRefusedNamingTheEarliestOffsetWhenRetentionRemovedTheStartOfAPartition) {
    RebuildRun run;
    TestDatabase db(DbBackend::sqlite);
    TestProducer producer;
    EventGenerator generator(5, 3);
    for (int i = 0; i < 40; ++i) {
        const GeneratedEvent e = generator.next();
        producer.produce(run.topic, e.key, e.value, e.headers, 2);
    }
    producer.flush();
    ASSERT_EQ(fanout::harness::delete_records_before(run.admin.handle(), run.topic, 2, 25), 25);

    FanoutdProcess& fanoutd = run.start(run.config(db));
    ASSERT_TRUE(fanoutd.wait_for_log("ready: every plugin joined", 60s)) << fanoutd.log();
    const RunResult refused = run.ctl(fanoutd, {"rebuild", "read_model", "--no-wait"});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find(run.topic + "[2] starts at offset 25"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("restoreReadDb"), std::string::npos) << refused.output;
    EXPECT_EQ(refused.output.find("[0] starts"), std::string::npos) << "only the partition that lost its start";
    EXPECT_EQ(run.admin_get(fanoutd, "/rebuilds").body, "{\"rebuilds\":[]}") << "nothing was started";
    EXPECT_FALSE(pointer(db).building);
    run.stop();
}

TEST(Rebuild, AReloadThatRestartsThePluginResumesItsRebuildWithTheNewSettings) {
    RebuildRun run;
    TestDatabase db(DbBackend::sqlite);
    ReferenceModel reference;
    long long total = 0;
    {
        PacedProducer producer(run.topic, Pace{.events = 60'000, .posts = 300, .seed = 5}, [&](const GeneratedEvent& e) {
            reference.apply(e.value);
            ++total;
        });
        producer.finish();
    }
    const std::string config = run.config(db);
    FanoutdProcess& fanoutd = run.start(config);
    const std::string group = run.group("read_model");
    ASSERT_TRUE(wait_until([&] { return consumed(db, group, 0) == total; }, 120s)) << fanoutd.log();

    const RunResult started = run.ctl(fanoutd, {"rebuild", "read_model", "--no-wait"});
    ASSERT_EQ(started.exit_code, 0) << started.output;
    ASSERT_EQ(pointer(db).building, std::optional<int>(1));
    // The plugin's settings change (its batch size): the reload restarts it, and its rebuild with it.
    std::string changed = config;
    changed.replace(changed.find("max_events: 500"), 15, "max_events: 400");
    run.dir.write("fanoutd.yaml", changed);
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("resuming the rebuild", 60s)) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return pointer(db).live == 1; }, 120s)) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return consumed(db, group, 1) == total; }, 60s)) << fanoutd.log();
    soci::session g1;
    fanout::sql::open_session(g1, "sqlite:" + fanout::sql::generation_sqlite_file(db.connection(), 1));
    const Model rebuilt = read_model(g1);
    EXPECT_TRUE(rebuilt == reference.model()) << differences(reference.model(), rebuilt);
    EXPECT_NE(fanoutd.log().find("going on rebuilding read model into generation 1"), std::string::npos)
        << fanoutd.log();
    run.stop();
}
