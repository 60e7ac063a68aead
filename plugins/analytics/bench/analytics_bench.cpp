// analytics_bench: loads N generated post events into a fresh topic, then
// runs fanoutd over it once per scenario and prints events/s side by side:
//   noop        fanoutd + the no-op plugin: the raw consume rate of this run
//   sqlite      fanoutd + analytics into a fresh SQLite file
//   postgresql  fanoutd + analytics into a fresh schema on --pg
// Measured from outside: from fork() until every event is accounted for
// (analytics_checkpoints for analytics, the group's committed offsets for
// noop). The tables are then compared with the counts computed directly
// from the events. Prints figures, never a pass/fail verdict on speed.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <CLI/CLI.hpp>

#include "child_process.hpp"
#include "events.hpp"
#include "fanout/sql/connection.hpp"
#include "kafka_topic.hpp"
#include "report_format.hpp"
#include "tables.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using fanout::test::Tables;
using namespace fanout::bench;
namespace sql = fanout::sql;

namespace {

struct Settings {
    std::string brokers = "127.0.0.1:19092";
    std::string pg;
    std::size_t events = 1'000'000;
    std::size_t posts = 20'000;
    int partitions = 4;
    int batch = 10'000;
    int linger_ms = 20;
    fs::path work_dir;
    fs::path bin_dir = FANOUT_BIN_DIR;
    fs::path lib_dir = FANOUT_LIB_DIR;
    int timeout_s = 600;
    bool verify = true;
    bool keep = false;
};

struct Result {
    std::string scenario;
    bool ok = false;
    std::string note;
    double elapsed = 0, startup = 0, cpu = -1;
    std::int64_t first_count = 0;
    std::string verified = "-";
};

std::string yaml_quote(const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

struct Target {
    std::string plugin_entry;                ///< YAML lines (4-space indent) after `retry:`
    std::function<std::int64_t()> progress;  ///< events accounted for, or -1
    std::function<std::optional<Tables>()> tables;
};

Result run_scenario(const Settings& s, const std::string& name, const std::string& topic, std::int64_t total,
                    const Target& target) {
    Result r;
    r.scenario = name;
    const std::string prefix = "anbench-" + std::to_string(::getpid()) + "-" + name;
    std::ostringstream y;
    y << "kafka:\n  brokers: " << yaml_quote(s.brokers) << "\n  properties:\n    auto.commit.interval.ms: \"100\"\n"
      << "group_prefix: " << prefix << "\ndead_letter_topic: " << topic << ".dead-letter\ndrain_timeout_ms: 10000\n"
      << "plugins:\n  - name: " << name << "\n    topics: [" << topic << "]\n"
      << "    batch: { max_events: " << s.batch << ", linger_ms: " << s.linger_ms << " }\n"
      << "    retry: { max_attempts: 1000000, initial_backoff_ms: 100, max_backoff_ms: 2000 }\n"
      << target.plugin_entry;
    const fs::path config = s.work_dir / (name + ".yaml");
    std::ofstream(config) << y.str();
    const fs::path log = s.work_dir / (name + ".log");

    const auto t0 = Clock::now();
    const pid_t pid =
        spawn({(s.bin_dir / "fanoutd").string(), "--config", config.string(), "--log-format", "plain"}, log);
    const auto deadline = t0 + std::chrono::seconds(s.timeout_s);
    bool first = false;
    Clock::time_point t_first{}, t_end{};
    while (Clock::now() < deadline) {
        const auto tick = Clock::now();
        const std::int64_t n = target.progress();
        const auto now = Clock::now();
        if (n > 0 && !first) {
            first = true;
            t_first = now;
            r.first_count = n;
        }
        if (n >= total) {
            r.ok = true;
            t_end = now;
            break;
        }
        if (exited(pid, std::chrono::milliseconds(0))) {
            r.note = "fanoutd exited early; see " + log.string();
            return r;
        }
        std::this_thread::sleep_until(tick + std::chrono::milliseconds(20));
    }
    if (!r.ok) {
        r.note = "timed out after " + std::to_string(s.timeout_s) + " s";
        t_end = Clock::now();
    }
    r.cpu = proc_cpu_seconds(pid);
    ::kill(pid, SIGTERM);
    if (!exited(pid, std::chrono::seconds(30))) {
        ::kill(pid, SIGKILL);
        exited(pid, std::chrono::seconds(10));
    }
    r.elapsed = std::chrono::duration<double>(t_end - t0).count();
    r.startup = first ? std::chrono::duration<double>(t_first - t0).count() : r.elapsed;
    return r;
}

/// The counts of the stream load_topic() produced (same generator, same seed).
Tables reference_counts(std::size_t events, std::size_t posts) {
    fanout::test::EventGenerator generator(posts, 42);
    fanout::test::ReferenceCounts reference;
    for (std::size_t i = 0; i < events; ++i) reference.apply(generator.next().value);
    return reference.tables();
}

Target noop_target(const Settings& s, const std::string& topic, const std::string& group) {
    Target target;
    target.plugin_entry =
        "    type: library\n    path: " + yaml_quote((s.lib_dir / "libfanout_bench_noop.so").string()) + "\n";
    auto watcher = std::make_shared<RdKafka>(make_client(RD_KAFKA_CONSUMER, s.brokers, {{"group.id", group}}));
    const int partitions = s.partitions;
    target.progress = [watcher, partitions, topic]() -> std::int64_t {
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
        std::int64_t sum = -1;
        if (rd_kafka_committed(watcher->get(), list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            sum = 0;
            for (int p = 0; p < partitions; ++p) sum += std::max<std::int64_t>(0, list->elems[p].offset);
        }
        rd_kafka_topic_partition_list_destroy(list);
        return sum;
    };
    target.progress();  // coordinator lookup before the clock starts
    return target;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    std::string scenario_list = "noop,sqlite,postgresql";
    CLI::App app{"analytics_bench: events/s of fanoutd + analytics (SQLite, PostgreSQL) next to the no-op plugin"};
    app.add_option("--brokers", s.brokers, "Kafka bootstrap servers")->capture_default_str();
    app.add_option("--pg", s.pg,
                   "PostgreSQL conninfo (e.g. \"$(tools/postgres-dev.sh conn)\"); a fresh schema is used");
    app.add_option("-n,--events", s.events, "events in the topic")->capture_default_str();
    app.add_option("--posts", s.posts, "distinct posts the events are spread over")->capture_default_str();
    app.add_option("-p,--partitions", s.partitions, "topic partitions")->capture_default_str();
    app.add_option("--batch", s.batch, "fanoutd batch.max_events")->capture_default_str();
    app.add_option("--linger-ms", s.linger_ms, "fanoutd batch.linger_ms")->capture_default_str();
    app.add_option("-s,--scenarios", scenario_list, "comma-separated: noop, sqlite, postgresql")->capture_default_str();
    app.add_option("--work-dir", s.work_dir,
                   "scratch folder: configs, logs, the SQLite file (default: a new one under /tmp, removed after a "
                   "successful run)");
    app.add_option("--timeout", s.timeout_s, "per scenario, seconds")->capture_default_str();
    app.add_flag("!--no-verify", s.verify, "skip comparing the tables with the reference counts");
    app.add_flag("--keep", s.keep, "keep the topic, the SQLite file and the PostgreSQL schema");
    CLI11_PARSE(app, argc, argv);
    std::vector<std::string> scenarios;
    for (std::stringstream in(scenario_list); std::getline(in, scenario_list, ',');) scenarios.push_back(scenario_list);

    try {
        const bool own_work_dir = s.work_dir.empty();
        if (own_work_dir) s.work_dir = fs::temp_directory_path() / ("analytics-bench-" + std::to_string(::getpid()));
        fs::create_directories(s.work_dir);
        const std::string topic = "an-bench-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
        RdKafka admin = make_client(RD_KAFKA_PRODUCER, s.brokers, {});
        create_topic(admin.get(), topic, s.partitions);
        std::cout << "loading " << s.events << " events over " << s.posts << " posts into " << topic << " ("
                  << s.partitions << " partitions)..." << std::flush;
        const auto t_load = Clock::now();
        load_topic(s.brokers, topic, s.events, s.posts, false);
        const auto ends = end_offsets(admin.get(), topic, s.partitions);
        const std::int64_t total = std::accumulate(ends.begin(), ends.end(), std::int64_t{0});
        std::cout << " done in " << fixed(std::chrono::duration<double>(Clock::now() - t_load).count(), 1) << " s\n";
        if (total != static_cast<std::int64_t>(s.events))
            throw std::runtime_error("topic holds " + std::to_string(total) + " events");
        const Tables expected = s.verify ? reference_counts(s.events, s.posts) : Tables{};

        double load_before[3] = {-1, -1, -1};
        if (::getloadavg(load_before, 3) < 0) load_before[0] = -1;
        std::vector<Result> results;
        for (const std::string& name : scenarios) {
            const std::string group = "anbench-" + std::to_string(::getpid()) + "-" + name + "." + name;
            Target target;
            std::unique_ptr<soci::session> session;
            std::string schema;
            if (name == "noop") {
                target = noop_target(s, topic, group);
            } else if (name == "sqlite" || name == "postgresql") {
                std::string connection;
                if (name == "sqlite") {
                    const fs::path file = s.work_dir / "analytics.db";
                    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
                    connection = "sqlite:" + file.string();
                } else {
                    if (s.pg.empty()) throw std::runtime_error("scenario postgresql needs --pg");
                    schema = "anbench_" + std::to_string(::getpid());
                    soci::session admin_pg;
                    sql::open_session(admin_pg, s.pg);
                    admin_pg << "CREATE SCHEMA " + schema;
                    connection = s.pg + " options='-c search_path=" + schema + "' application_name=" + schema;
                }
                target.plugin_entry =
                    "    type: library\n    path: " + yaml_quote((s.lib_dir / "libfanout_analytics.so").string()) +
                    "\n    options:\n      connection: " + yaml_quote(connection) + "\n";
                session = std::make_unique<soci::session>();
                sql::open_session(*session, connection);
                soci::session* sql = session.get();
                target.progress = [sql, group]() -> std::int64_t {
                    return fanout::test::analytics_checkpoint_sum(*sql, group);
                };
                target.tables = [sql]() -> std::optional<Tables> { return fanout::test::read_tables(*sql); };
            } else {
                throw std::runtime_error("unknown scenario " + name);
            }
            std::cout << "running " << name << "..." << std::flush;
            Result r = run_scenario(s, name, topic, total, target);
            if (r.ok && s.verify && target.tables) {
                const Tables actual = *target.tables();
                r.verified = actual == expected ? "equal" : "DIFFERENT";
                if (!(actual == expected)) r.note += fanout::test::differences(expected, actual, 5);
            }
            std::cout << (r.ok ? " ok" : " FAILED") << "\n";
            results.push_back(r);
            if (!schema.empty() && !s.keep) {
                session.reset();
                soci::session admin_pg;
                sql::open_session(admin_pg, s.pg);
                admin_pg << "SET client_min_messages = warning";
                admin_pg << "DROP SCHEMA " + schema + " CASCADE";
            }
        }

        std::cout << "\n"
                  << s.events << " events, " << s.posts << " posts, " << s.partitions << " partitions, batch "
                  << s.batch << " / linger " << s.linger_ms << " ms, " << std::thread::hardware_concurrency()
                  << " cores\n\n";
        std::cout << pad("scenario", 12) << pad("elapsed s", 11) << pad("events/s", 11) << pad("steady/s", 11)
                  << pad("startup s", 11) << pad("cpu s", 8) << pad("tables", 11) << "\n";
        for (const Result& r : results) {
            const double rate = r.elapsed > 0 ? static_cast<double>(total) / r.elapsed : 0;
            const double span = r.elapsed - r.startup;
            const double steady = span > 0 ? static_cast<double>(total - r.first_count) / span : 0;
            std::cout << pad(r.scenario, 12) << pad(fixed(r.elapsed, 2), 11) << pad(fixed(rate, 0), 11)
                      << pad(steady > 0 ? fixed(steady, 0) : "-", 11) << pad(fixed(r.startup, 2), 11)
                      << pad(r.cpu >= 0 ? fixed(r.cpu, 1) : "-", 8) << pad(r.verified, 11) << "\n";
            if (!r.note.empty()) std::cout << "    " << r.scenario << ": " << r.note << "\n";
        }
        if (!s.keep) delete_topics(admin.get(), {topic, topic + ".dead-letter"});
        if (own_work_dir && !s.keep &&
            std::all_of(results.begin(), results.end(), [](const Result& r) { return r.ok; })) {
            fs::remove_all(s.work_dir);  // logs are kept when a scenario failed
        }
        double load[3] = {0, 0, 0};
        if (::getloadavg(load, 3) < 0) load[0] = -1;
        std::cout << "\nevents/s = events / (fanoutd start -> last event accounted for); steady/s excludes startup\n"
                     "(process start, group join, first batch). cpu s = fanoutd user+sys. tables: the analytics\n"
                     "tables == the counts computed from the events.\nload average (1 min): "
                  << fixed(load_before[0], 2) << " before the first scenario, " << fixed(load[0], 2)
                  << " after the last\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "analytics_bench: " << e.what() << "\n";
        return 1;
    }
}
