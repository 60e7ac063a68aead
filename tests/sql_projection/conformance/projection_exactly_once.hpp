#pragma once
// Exactly once end to end, for any SQL projection of the post events: fanoutd
// runs the plugin on the real broker (FANOUT_TEST_BROKERS), into SQLite and
// into a real PostgreSQL, and is killed with SIGKILL at random points and
// restarted, or sees its PostgreSQL server restarted mid-stream. At the end
// the tables equal the reference computed directly from the events (every
// like counted exactly once) and nothing was dead-lettered.
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionExactlyOnce,
//                                  ::testing::Types<ReadModelTraits>, PluginNames);
//
// How many events, kills and restarts: the projection's Traits::k_workload.
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fanoutd_config.hpp"
#include "kafka_test.hpp"
#include "paced_producer.hpp"
#include "private_postgres.hpp"
#include "process.hpp"
#include "projection_traits.hpp"
#include "test_database.hpp"

namespace fanout::test {

/// One fanoutd run of the projection: its topic, group, dead-letter topic, config.
template <ProjectionTraits T>
struct ExactlyOnceScenario {
    static constexpr int k_partitions = 4;

    std::string topic = unique_name(std::string(T::k_names.plugin) + "-posts");
    std::string prefix = unique_name(T::k_names.plugin);
    std::string dlq = unique_name(std::string(T::k_names.plugin) + "-dlq");
    KafkaAdmin admin;
    TempDir dir;
    typename T::Reference reference;

    std::string group() const { return prefix + "." + T::k_names.plugin; }

    std::filesystem::path config(const TestDatabase& db) const {
        DaemonSettings settings{.group_prefix = prefix, .dead_letter_topic = dlq};
        // Static membership: a restarted process takes its partitions back
        // at once instead of waiting for the killed one's session to time
        // out, so the restarts fit in the test's time.
        settings.kafka_properties = {{"group.instance.id", prefix + "-member"}};
        std::string options;
        std::istringstream lines(options_for<T>(db.connection()) + "reconnect_interval_ms: 200\n");
        for (std::string line; std::getline(lines, line);) options += "      " + line + "\n";
        PluginSpec plugin{
            .name = T::k_names.plugin,
            .library = T::k_names.library,
            .options = options,
            .extra =
                "    batch: { max_events: 500, linger_ms: 20 }\n"
                // max_attempts × max_backoff is far shorter than a database
                // restart: an outage outlasts it and is still never dead-lettered.
                "    retry: { max_attempts: 2, initial_backoff_ms: 100, max_backoff_ms: 200, degraded_after_ms: 300 }\n",
        };
        if constexpr (requires { T::lua_script(); }) plugin.lua_script = T::lua_script();
        std::string yaml = make_config(settings, topic, {plugin});
        yaml = with_admin(yaml);
        return dir.write("fanoutd.yaml", yaml);
    }

    /// Produces `pace` to the topic, folding every event into the reference.
    PacedProducer produce(const Pace& pace) {
        return PacedProducer(topic, pace, [this](const GeneratedEvent& e) { reference.apply(e.value); });
    }

    std::int64_t end_total() {
        const auto ends = admin.end_offsets(topic, k_partitions);
        return std::accumulate(ends.begin(), ends.end(), std::int64_t{0});
    }

    /// After the producer finished: waits until fanoutd consumed everything,
    /// then compares the tables with the reference and checks the
    /// dead-letter topic and a clean SIGTERM.
    void expect_exactly_once(TestDatabase& db, FanoutdProcess& fanoutd) {
        const auto consumed = [&] { return db.checkpoint_sum(T::k_names.checkpoint_table(), group()); };
        const std::int64_t total = end_total();
        ASSERT_TRUE(wait_until([&] { return consumed() == total; }, std::chrono::seconds(120)))
            << "consumed " << consumed() << " of " << total << "\n"
            << fanoutd.log();
        const auto& expected = reference.tables();
        const auto actual = T::read(db.session());
        EXPECT_EQ(actual.total_likes(), expected.total_likes()) << "every like counted exactly once";
        EXPECT_TRUE(actual == expected) << differences(expected, actual);
        EXPECT_TRUE(consume_all(dlq, 1, std::chrono::seconds(2)).empty()) << "nothing dead-lettered";
        fanoutd.signal(SIGTERM);
        EXPECT_EQ(fanoutd.wait_exit(std::chrono::seconds(30)), 0) << fanoutd.log();
    }
};

template <ProjectionTraits T>
class ProjectionExactlyOnce : public ::testing::Test {
protected:
    void kill_and_restart(DbBackend backend) {
        using namespace std::chrono_literals;
        const ExactlyOnceWorkload& w = T::k_workload;
        ExactlyOnceScenario<T> s;
        TestDatabase db(backend);
        const auto consumed = [&] { return db.checkpoint_sum(T::k_names.checkpoint_table(), s.group()); };
        s.admin.create_topic(s.topic, s.k_partitions);
        FanoutdProcess fanoutd(s.config(db), s.dir / "fanoutd.log");
        fanoutd.start();

        PacedProducer producer = s.produce(w.kill_pace);
        const unsigned seed = std::random_device{}();
        std::mt19937 rng(seed);
        SCOPED_TRACE("kill points seed " + std::to_string(seed));
        const auto total = static_cast<std::int64_t>(w.kill_pace.events);
        for (int kill = 1; kill <= w.kills; ++kill) {
            // Kill only once this process made progress, at a random point
            // after; or at once when the whole stream is in (a fast projection
            // can finish it before the last kill: that kill restarts it idle).
            const std::int64_t before = std::max<std::int64_t>(0, consumed());
            ASSERT_TRUE(wait_until(
                [&] {
                    const std::int64_t now = consumed();
                    return now > before || now >= total;
                },
                60s))
                << "no progress before kill " << kill << "\n"
                << fanoutd.log();
            std::this_thread::sleep_for(std::chrono::milliseconds(rng() % w.kill_window.count()));
            const std::int64_t at = consumed();
            fanoutd.signal(SIGKILL);
            ASSERT_EQ(fanoutd.wait_exit(10s), 128 + SIGKILL);
            if (kill == 1) {
                EXPECT_LT(at, static_cast<std::int64_t>(w.kill_pace.events)) << "the first kill lands mid-stream";
            }
            fanoutd.start();
        }
        producer.finish();
        ASSERT_EQ(s.end_total(), static_cast<std::int64_t>(w.kill_pace.events));
        EXPECT_GT(s.reference.tables().total_likes(), static_cast<std::int64_t>(w.kill_pace.events / 4));
        s.expect_exactly_once(db, fanoutd);
    }
};
TYPED_TEST_SUITE_P(ProjectionExactlyOnce);

TYPED_TEST_P(ProjectionExactlyOnce, SurvivesKill9OnSqlite) { this->kill_and_restart(DbBackend::sqlite); }

TYPED_TEST_P(ProjectionExactlyOnce, SurvivesKill9OnPostgresql) { this->kill_and_restart(DbBackend::postgresql); }

TYPED_TEST_P(ProjectionExactlyOnce, WaitsForARestartedPostgresqlAndCatchesUp) {
    using namespace std::chrono_literals;
    postgres_server();  // PostgreSQL tests run only where the suite has one (same policy as the others)
    PrivatePostgres server;
    ExactlyOnceScenario<TypeParam> s;
    TestDatabase db(DbBackend::postgresql, server.conn());
    const auto consumed = [&] { return db.checkpoint_sum(TypeParam::k_names.checkpoint_table(), s.group()); };
    s.admin.create_topic(s.topic, s.k_partitions);
    FanoutdProcess fanoutd(s.config(db), s.dir / "fanoutd.log");
    fanoutd.start();
    const auto status = [&] {  // fanoutd's /plugins, as an operator reads it
        return run_fanoutctl(fanoutd, {"--json", "status"}, {}, 10s).output;
    };
    ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0; }, 30s)) << fanoutd.log();

    PacedProducer producer = s.produce(TypeParam::k_workload.restart_pace);
    for (int restart = 1; restart <= TypeParam::k_workload.restarts; ++restart) {
        const std::int64_t before = std::max<std::int64_t>(0, consumed());
        ASSERT_TRUE(wait_until([&] { return consumed() > before; }, 60s)) << fanoutd.log();
        db.close_session();
        server.stop();
        // Down while events keep coming: batches fail and are retried, never dead-lettered.
        ASSERT_TRUE(fanoutd.wait_for_log("cannot reach the database", 30s, restart)) << fanoutd.log();
        // Longer than retry.degraded_after_ms: the plugin says it is degraded.
        ASSERT_TRUE(wait_until([&] { return status().find(R"("degraded":true)") != std::string::npos; }, 30s))
            << status();
        server.start();
        ASSERT_TRUE(fanoutd.wait_for_log("database connection restored", 30s, restart)) << fanoutd.log();
        ASSERT_TRUE(wait_until([&] { return status().find(R"("degraded":false)") != std::string::npos; }, 30s))
            << status();
    }
    producer.finish();
    s.expect_exactly_once(db, fanoutd);
}

REGISTER_TYPED_TEST_SUITE_P(ProjectionExactlyOnce, SurvivesKill9OnSqlite, SurvivesKill9OnPostgresql,
                            WaitsForARestartedPostgresqlAndCatchesUp);

}  // namespace fanout::test
