// The point of fanoutd: the read model, the webhook notifier and the analytics
// side by side over the same events, each in its own consumer group and at its
// own pace, in one real fanoutd process on the real broker.
#include <signal.h>

#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "events.hpp"
#include "fanoutd_run.hpp"
#include "harness.hpp"
#include "kafka_test.hpp"
#include "model.hpp"
#include "process.hpp"
#include "test_database.hpp"
#include "webhook_receiver.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr int k_partitions = 4;
// Transient failures (a receiver that is down, a busy database) are waited
// out, never dead-lettered, however few attempts failures get.
constexpr const char* k_patient =
    "    batch: { max_events: 500, linger_ms: 10 }\n"
    "    retry: { max_attempts: 2, initial_backoff_ms: 100, max_backoff_ms: 500 }\n";

/// What the analytics plugin must hold after a stream, computed from the events.
struct ExpectedAnalytics {
    std::int64_t posts = 0, comments = 0, likes = 0;
    std::map<std::string, std::int64_t> likes_per_post;
    std::map<std::string, std::int64_t> posts_per_author;

    void add(const GeneratedEvent& e) {
        if (e.type == "PostCreatedEvent") {
            ++posts;
            const auto at = e.value.find("\"author\":\"");
            const auto from = at + 10;
            ++posts_per_author[e.value.substr(from, e.value.find('"', from) - from)];
        } else if (e.type == "CommentAddedEvent") {
            ++comments;
        } else if (e.type == "PostLikedEvent") {
            ++likes;
            ++likes_per_post[e.key];
        }
    }
};

struct Stream {
    std::vector<GeneratedEvent> events;
    ReferenceModel reference;
    ExpectedAnalytics analytics;
    std::set<std::string> notified_ids;  ///< event ids of PostCreated and CommentAdded
};

Stream produce_stream(const std::string& topic, std::size_t count, std::size_t posts) {
    Stream s;
    s.events = produce_events(topic, count, posts);
    for (const auto& e : s.events) {
        s.reference.apply(e.value);
        s.analytics.add(e);
        if (e.type == "PostCreatedEvent" || e.type == "CommentAddedEvent") s.notified_ids.insert(e.event_id);
    }
    return s;
}

std::string sql_plugin(const std::string& name, const std::string& library, const TestDatabase& db,
                       const std::string& topic) {
    std::ostringstream y;
    y << "  - name: " << name << "\n"
      << "    type: library\n"
      << "    path: " << (lib_dir() / library).string() << "\n"
      << "    topics: [" << topic << "]\n"
      << k_patient << "    options:\n"
      << "      " << db.connection_option();
    return y.str();
}

std::string notifier_plugin(const std::string& url, const std::string& topic) {
    std::ostringstream y;
    y << "  - name: notify\n"
      << "    type: library\n"
      << "    path: " << (lib_dir() / "libfanout_webhook_notifier.so").string() << "\n"
      << "    topics: [" << topic << "]\n"
      << k_patient << "    options:\n"
      << "      url: " << url << "\n"
      << "      event_types: [PostCreatedEvent, CommentAddedEvent]\n"
      << "      timeout_ms: 2000\n";
    return y.str();
}

std::string audit_plugin(const std::string& name, const std::filesystem::path& file, const std::string& topic,
                         const std::string& start_from) {
    std::ostringstream y;
    y << "  - name: " << name << "\n"
      << "    type: library\n"
      << "    path: " << (lib_dir() / "libfanout_example.so").string() << "\n"
      << "    topics: [" << topic << "]\n"
      << "    start_from: " << start_from << "\n"
      << "    options:\n"
      << "      path: " << file.string() << "\n";
    return y.str();
}

std::string daemon_config(const std::string& prefix, const std::string& dlq, const std::vector<std::string>& plugins) {
    std::string y = config_header({.group_prefix = prefix, .dead_letter_topic = dlq}) + "plugins:\n";
    for (const auto& p : plugins) y += p;
    return y;
}

/// Post id -> likes in analytics_posts.
std::map<std::string, std::int64_t> analytics_likes(soci::session& session) {
    std::map<std::string, std::int64_t> out;
    soci::rowset<soci::row> rows = (session.prepare << "SELECT post_id, likes FROM analytics_posts WHERE likes > 0");
    for (const auto& row : rows) out[row.get<std::string>(0)] = row.get<long long>(1);
    return out;
}

/// Sums of analytics_days: posts, comments, likes.
std::array<std::int64_t, 3> analytics_day_totals(soci::session& session) {
    long long posts = 0, comments = 0, likes = 0;
    soci::indicator ip = soci::i_ok, ic = soci::i_ok, il = soci::i_ok;
    session << "SELECT SUM(posts), SUM(comments), SUM(likes) FROM analytics_days", soci::into(posts, ip),
        soci::into(comments, ic), soci::into(likes, il);
    return {ip == soci::i_ok ? posts : 0, ic == soci::i_ok ? comments : 0, il == soci::i_ok ? likes : 0};
}

std::map<std::string, std::int64_t> analytics_posts_per_author(soci::session& session) {
    std::map<std::string, std::int64_t> out;
    soci::rowset<soci::row> rows = (session.prepare << "SELECT author, posts FROM analytics_authors WHERE posts > 0");
    for (const auto& row : rows) out[row.get<std::string>(0)] = row.get<long long>(1);
    return out;
}

bool read_model_complete(TestDatabase& db, const Model& expected) {
    try {
        return read_model(db.session()) == expected;
    } catch (const std::exception&) {
        return false;  // the schema is not there yet, or the database is busy
    }
}

bool analytics_complete(TestDatabase& db, const ExpectedAnalytics& expected) {
    try {
        return analytics_day_totals(db.session()) ==
                   std::array<std::int64_t, 3>{expected.posts, expected.comments, expected.likes} &&
               analytics_likes(db.session()) == expected.likes_per_post;
    } catch (const std::exception&) {
        return false;
    }
}

std::set<std::string> accepted(const WebhookReceiver& receiver) {
    const auto keys = receiver.accepted_keys();
    return {keys.begin(), keys.end()};
}

/// A fresh topic of k_partitions and fanoutd on it under "sbs" names.
struct SideBySideRun : FanoutdRun {
    SideBySideRun() : FanoutdRun("sbs") { admin.create_topic(topic, k_partitions); }
    FanoutdProcess& start(const std::vector<std::string>& plugins) {
        return FanoutdRun::start(daemon_config(prefix, dlq, plugins));
    }
};

}  // namespace

TEST(SideBySide, EachPluginSeesEveryEventAndADownReceiverStallsOnlyTheNotifier) {
    SideBySideRun run;
    TestDatabase read_db(DbBackend::sqlite), analytics_db(DbBackend::sqlite);

    // The receiver is down from the start: its port is free and refuses connections.
    WebhookReceiver receiver;
    const int port = receiver.start(0);
    const std::string url = receiver.url();
    receiver.stop();

    constexpr std::size_t k_events = 100'000;
    const Stream stream = produce_stream(run.topic, k_events, 500);
    ASSERT_GT(stream.notified_ids.size(), 10'000u);

    const FanoutdProcess& fanoutd =
        run.start({sql_plugin("read_model", "libfanout_sql_read_model.so", read_db, run.topic),
                   notifier_plugin(url, run.topic),
                   sql_plugin("analytics", "libfanout_analytics.so", analytics_db, run.topic)});

    // The read model and the analytics get through all of it while the notifier waits.
    ASSERT_TRUE(wait_until([&] { return read_model_complete(read_db, stream.reference.model()); }, 180s))
        << differences(stream.reference.model(), read_model(read_db.session())) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return analytics_complete(analytics_db, stream.analytics); }, 180s)) << fanoutd.log();
    EXPECT_EQ(analytics_posts_per_author(analytics_db.session()), stream.analytics.posts_per_author);

    const auto notify_committed = run.admin.committed(run.group("notify"), run.topic, k_partitions);
    const auto ends = run.admin.end_offsets(run.topic, k_partitions);
    const std::int64_t committed_total =
        std::accumulate(notify_committed.begin(), notify_committed.end(), std::int64_t{0},
                        [](std::int64_t sum, std::int64_t o) { return sum + std::max<std::int64_t>(o, 0); });
    EXPECT_LT(committed_total, std::accumulate(ends.begin(), ends.end(), std::int64_t{0}) / 10)
        << "the notifier is stalled on the down receiver, not skipping ahead";
    EXPECT_TRUE(receiver.requests().empty());

    // The receiver returns on the same address: every notification arrives.
    receiver.start(port);
    ASSERT_TRUE(wait_until([&] { return accepted(receiver).size() >= stream.notified_ids.size(); }, 240s))
        << accepted(receiver).size() << " of " << stream.notified_ids.size() << "\n"
        << fanoutd.log();
    ASSERT_TRUE(run.wait_committed("notify", k_partitions, 60s));
    EXPECT_EQ(accepted(receiver), stream.notified_ids) << "none missing, none invented";

    // Meanwhile nothing changed for the others, and nothing was dead-lettered.
    EXPECT_TRUE(read_model_complete(read_db, stream.reference.model()));
    EXPECT_TRUE(analytics_complete(analytics_db, stream.analytics));
    run.stop(30s);
    EXPECT_TRUE(consume_all(run.dlq, 1, 2s).empty()) << "nothing dead-lettered";
}

TEST(SideBySide, APluginAddedLaterStartsWhereConfiguredWithoutDisturbingTheOthers) {
    SideBySideRun run;
    TestDatabase read_db(DbBackend::sqlite), analytics_db(DbBackend::sqlite);
    const std::vector<std::string> first = {sql_plugin("read_model", "libfanout_sql_read_model.so", read_db, run.topic),
                                            sql_plugin("analytics", "libfanout_analytics.so", analytics_db, run.topic),
                                            audit_plugin("keep", run.dir / "keep.jsonl", run.topic, "earliest")};
    FanoutdProcess& fanoutd = run.start(first);
    ASSERT_TRUE(fanoutd.wait_for_log("ready: every plugin joined", 60s)) << fanoutd.log();

    // The first part of the stream, handled by the first three.
    EventGenerator generator(300, 7);
    ReferenceModel reference;
    ExpectedAnalytics expected;
    TestProducer producer;
    auto produce = [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const GeneratedEvent e = generator.next();
            reference.apply(e.value);
            expected.add(e);
            producer.produce(run.topic, e.key, e.value, e.headers);
        }
        producer.flush();
    };
    constexpr std::size_t k_first = 6'000, k_second = 4'000;
    produce(k_first);
    ASSERT_TRUE(wait_until([&] { return read_lines(run.dir / "keep.jsonl").size() >= k_first; }, 60s)) << fanoutd.log();
    const auto ends_at_reload = run.admin.end_offsets(run.topic, k_partitions);

    // Two plugins added by a reload: one from the beginning, one from the latest offset.
    std::vector<std::string> second = first;
    second.push_back(audit_plugin("from_earliest", run.dir / "earliest.jsonl", run.topic, "earliest"));
    second.push_back(audit_plugin("from_latest", run.dir / "latest.jsonl", run.topic, "latest"));
    run.dir.write("fanoutd.yaml", daemon_config(run.prefix, run.dlq, second));
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("reload applied: kept 3 (0 reloading from disk), stopped 0, started 2", 30s))
        << fanoutd.log();
    ASSERT_TRUE(fanoutd.wait_for_log("[from_latest] assigned", 30s)) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return read_lines(run.dir / "earliest.jsonl").size() >= k_first; }, 60s)) << fanoutd.log();
    // "latest" is the end of a partition when the new consumer first fetches
    // it, a moment after its assignment: feed a few events until it has seen
    // one on every partition, so it has started everywhere before the rest.
    std::size_t warm_up = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            produce(20);
            warm_up += 20;
            std::set<std::int32_t> started;
            for (const auto& c : audit_coordinates(run.dir / "latest.jsonl")) started.insert(c.first);
            return started.size() == static_cast<std::size_t>(k_partitions);
        },
        60s))
        << fanoutd.log();
    const auto ends_when_started = run.admin.end_offsets(run.topic, k_partitions);

    produce(k_second);
    ASSERT_TRUE(wait_until([&] { return read_model_complete(read_db, reference.model()); }, 60s))
        << differences(reference.model(), read_model(read_db.session()));
    ASSERT_TRUE(wait_until([&] { return analytics_complete(analytics_db, expected); }, 60s));
    for (const char* plugin : {"keep", "from_earliest", "from_latest"}) {
        ASSERT_TRUE(run.wait_committed(plugin, k_partitions, 60s));
    }

    const auto all = all_coordinates(run.admin.end_offsets(run.topic, k_partitions));
    ASSERT_EQ(all.size(), k_first + warm_up + k_second);
    const auto keep = audit_coordinates(run.dir / "keep.jsonl");
    const auto earliest = audit_coordinates(run.dir / "earliest.jsonl");
    const auto latest = audit_coordinates(run.dir / "latest.jsonl");
    EXPECT_EQ(std::set<Coordinate>(earliest.begin(), earliest.end()), all) << "from the beginning";
    // Where the latest plugin started on each partition: after the reload,
    // before the main part of the stream; from there on it saw everything.
    std::map<std::int32_t, std::int64_t> started_at;
    for (const auto& c : latest) {
        auto [it, first] = started_at.try_emplace(c.first, c.second);
        if (!first) it->second = std::min(it->second, c.second);
    }
    ASSERT_EQ(started_at.size(), static_cast<std::size_t>(k_partitions));
    std::set<Coordinate> from_start;
    for (const auto& [partition, offset] : started_at) {
        EXPECT_GE(offset, ends_at_reload[partition]) << "partition " << partition << ": nothing from before it joined";
        EXPECT_LT(offset, ends_when_started[partition]) << "partition " << partition;
    }
    for (const auto& c : all) {
        if (c.second >= started_at[c.first]) from_start.insert(c);
    }
    EXPECT_EQ(latest.size(), from_start.size()) << "each event once";
    EXPECT_EQ(std::set<Coordinate>(latest.begin(), latest.end()), from_start) << "everything once started";
    EXPECT_EQ(keep.size(), all.size()) << "the plugin already running was not restarted nor replayed";
    EXPECT_EQ(std::set<Coordinate>(keep.begin(), keep.end()), all);
    const std::string log = fanoutd.log();
    for (const char* name : {"[read_model] stopped", "[analytics] stopped", "[keep] stopped"}) {
        EXPECT_EQ(log.find(name), std::string::npos) << name << "\n" << log;
    }
    run.stop(30s);
}
