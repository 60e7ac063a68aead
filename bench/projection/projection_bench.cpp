#include "projection_bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <CLI/CLI.hpp>

#include "child_process.hpp"
#include "committed_offsets.hpp"
#include "fanout/sql/connection.hpp"
#include "fanoutd_config.hpp"
#include "kafka_topic.hpp"
#include "report_format.hpp"

namespace fanout::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Settings {
    std::string brokers = "127.0.0.1:19092";
    std::string pg;
    std::size_t events = 1'000'000;
    std::size_t posts = 20'000;
    int partitions = 4;
    std::vector<int> batches;
    int linger_ms = 20;
    std::vector<std::string> scenarios = {"noop", "sqlite", "postgresql"};
    fs::path work_dir;
    fs::path bin_dir = FANOUT_BIN_DIR;
    fs::path lib_dir = FANOUT_LIB_DIR;
    fs::path b_bin_dir, b_lib_dir;  ///< the build of the "-b" scenarios
    int repeat = 1;
    int timeout_s = 600;
    bool verify = true;
    bool keep = false;
};

struct Result {
    std::string label;  ///< scenario, with "@batch" when several batch sizes run
    int run = 0;
    bool ok = false;
    std::string note;
    double elapsed = 0, startup = 0, cpu = -1;
    double db_cpu = -1;  ///< the PostgreSQL server's CPU during the scenario (its backends, autovacuum)
    std::int64_t first_count = 0;
    std::string verified = "-";
};

/// Where a scenario's events go, and how progress is read.
struct Target {
    std::string plugin_entry;                  ///< YAML lines (4-space indent) after `retry:`
    std::function<std::int64_t()> progress;    ///< events accounted for, or -1
    std::function<std::string()> differences;  ///< against the reference; unset: not verified
    std::function<double()> server_cpu;        ///< CPU seconds of the database server so far, or unset
    std::function<void()> wait_disconnected;   ///< until the plugin's sessions are gone (their CPU counted)
    std::unique_ptr<soci::session> session;    ///< progress and verification
    std::string schema;                        ///< PostgreSQL: dropped after the scenario
};

Result run_scenario(const Settings& s, const std::string& label, const std::string& kind, int batch,
                    const std::string& prefix, const fs::path& bin_dir, const std::string& topic, std::int64_t total,
                    const Target& target) {
    Result r;
    r.label = label;
    // The no-op plugin never reads an envelope: its rate is the raw consume rate.
    const std::string yaml =
        fanoutd_config_head(s.brokers, {{"auto.commit.interval.ms", "100"}}, prefix, topic) +
        plugin_entry_head(kind, topic, static_cast<std::size_t>(batch), s.linger_ms, kind != "noop") +
        "    retry: { max_attempts: 1000000, initial_backoff_ms: 100, max_backoff_ms: 2000 }\n" + target.plugin_entry;
    const std::string file = label + "-" + std::to_string(::getpid());
    const fs::path config = s.work_dir / (file + ".yaml");
    std::ofstream(config) << yaml;
    const fs::path log = s.work_dir / (file + ".log");

    const double db_cpu_before = target.server_cpu ? target.server_cpu() : -1;
    const auto t0 = Clock::now();
    const pid_t pid =
        spawn({(bin_dir / "fanoutd").string(), "--config", config.string(), "--log-format", "plain"}, log);
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
    if (target.server_cpu) {
        if (target.wait_disconnected) target.wait_disconnected();
        r.db_cpu = target.server_cpu() - db_cpu_before;
    }
    r.elapsed = std::chrono::duration<double>(t_end - t0).count();
    r.startup = first ? std::chrono::duration<double>(t_first - t0).count() : r.elapsed;
    return r;
}

/// The no-op plugin: progress is the group's committed offsets.
void noop_target(Target& target, const Settings& s, const fs::path& lib_dir, const std::string& topic,
                 const std::string& group) {
    target.plugin_entry =
        "    type: library\n    path: " + yaml_quote((lib_dir / "libfanout_bench_noop.so").string()) + "\n";
    auto watcher = std::make_shared<CommittedOffsets>(s.brokers, group, topic, s.partitions);
    target.progress = [watcher] { return watcher->total(); };
    target.progress();  // coordinator lookup before the clock starts
}

/// The projection on a fresh SQLite file or PostgreSQL schema: progress is
/// the sum of its checkpoints.
void projection_target(Target& target, const Settings& s, const ProjectionBenchSpec& spec, const std::string& kind,
                       const fs::path& lib_dir, const std::string& group, const std::string& run_id) {
    std::string connection;
    if (kind == "sqlite") {
        const fs::path file = s.work_dir / (spec.tag + ".db");
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
        connection = "sqlite:" + file.string();
    } else {
        if (s.pg.empty()) throw std::runtime_error("scenario postgresql needs --pg");
        target.schema = spec.tag + "bench_" + run_id;
        soci::session admin;
        sql::open_session(admin, s.pg);
        admin << "CREATE SCHEMA " + target.schema;
        connection = s.pg + " options='-c search_path=" + target.schema + "' application_name=" + target.schema;
    }
    target.plugin_entry = "    type: library\n    path: " + yaml_quote((lib_dir / spec.library).string()) +
                          "\n    options:\n      connection: " + yaml_quote(connection) + "\n" + spec.extra_options;
    target.session = std::make_unique<soci::session>();
    sql::open_session(*target.session, connection);
    soci::session* db = target.session.get();
    const std::string query = "SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT) FROM " + spec.checkpoint_table +
                              " WHERE consumer_group = :g AND next_offset > 0";
    target.progress = [db, group, query]() -> std::int64_t {
        long long sum = 0;
        try {
            *db << query, soci::into(sum), soci::use(group);
        } catch (const soci::soci_error&) {
            return -1;  // not created yet
        }
        return sum;
    };
    if (spec.differences) target.differences = [db, &spec] { return spec.differences(*db); };
    if (kind != "postgresql") return;
    // The server is local: its postmaster's CPU, with the plugin's backend
    // once it exited, is the database's share of the run.
    int backend = 0;
    *db << "SELECT pg_backend_pid()", soci::into(backend);
    const pid_t postmaster = parent_of(backend);
    if (postmaster <= 1 || proc_cpu_seconds(postmaster, true) < 0) return;
    target.server_cpu = [postmaster] { return proc_cpu_seconds(postmaster, true); };
    target.wait_disconnected = [db, schema = target.schema] {
        const auto until = Clock::now() + std::chrono::seconds(10);
        for (int n = 1; n > 0 && Clock::now() < until;) {
            *db << "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = :a", soci::into(n),
                soci::use(schema);
            if (n > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the postmaster reaps it
    };
}

void drop_schema(const Settings& s, Target& target) {
    if (target.schema.empty() || s.keep) return;
    target.session.reset();
    soci::session admin;
    sql::open_session(admin, s.pg);
    admin << "SET client_min_messages = warning";
    admin << "DROP SCHEMA " + target.schema + " CASCADE";
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void report(const Settings& s, const std::vector<Result>& results, const std::vector<std::string>& labels,
            std::int64_t total, const std::string& checked) {
    std::cout << "\n"
              << s.events << " events, " << s.posts << " posts, " << s.partitions << " partitions, linger "
              << s.linger_ms << " ms, " << std::thread::hardware_concurrency() << " cores\n\n";
    std::cout << pad("scenario", 20) << pad("elapsed s", 11) << pad("events/s", 11) << pad("steady/s", 11)
              << pad("startup s", 11) << pad("cpu s", 8) << pad("cpu us/ev", 11) << pad("db cpu s", 10)
              << pad(checked, 11) << "\n";
    const auto rate_of = [&](const Result& r) { return r.elapsed > 0 ? static_cast<double>(total) / r.elapsed : 0; };
    const auto steady_of = [&](const Result& r) {
        const double span = r.elapsed - r.startup;
        return span > 0 ? static_cast<double>(total - r.first_count) / span : 0;
    };
    const auto per_event = [&](double cpu) {
        return cpu >= 0 ? fixed(cpu * 1e6 / static_cast<double>(total), 2) : "-";
    };
    for (const Result& r : results) {
        const double steady = steady_of(r);
        const std::string label = s.repeat > 1 ? r.label + " #" + std::to_string(r.run) : r.label;
        std::cout << pad(label, 20) << pad(fixed(r.elapsed, 2), 11) << pad(fixed(rate_of(r), 0), 11)
                  << pad(steady > 0 ? fixed(steady, 0) : "-", 11) << pad(fixed(r.startup, 2), 11)
                  << pad(r.cpu >= 0 ? fixed(r.cpu, 1) : "-", 8) << pad(per_event(r.cpu), 11)
                  << pad(r.db_cpu >= 0 ? fixed(r.db_cpu, 1) : "-", 10) << pad(r.verified, 11) << "\n";
        if (!r.note.empty()) std::cout << "    " << r.label << ": " << r.note << "\n";
    }
    if (s.repeat == 1) return;
    for (const std::string& label : labels) {
        std::vector<double> elapsed, rate, steady, startup, cpu, db_cpu;
        std::size_t equal = 0, finished = 0;
        for (const Result& r : results) {
            if (r.label != label || !r.ok) continue;
            ++finished;
            elapsed.push_back(r.elapsed);
            rate.push_back(rate_of(r));
            steady.push_back(steady_of(r));
            startup.push_back(r.startup);
            cpu.push_back(r.cpu);
            if (r.db_cpu >= 0) db_cpu.push_back(r.db_cpu);
            if (r.verified == "equal") ++equal;
        }
        std::cout << pad(label + " median", 20) << pad(fixed(median(elapsed), 2), 11) << pad(fixed(median(rate), 0), 11)
                  << pad(fixed(median(steady), 0), 11) << pad(fixed(median(startup), 2), 11)
                  << pad(fixed(median(cpu), 1), 8) << pad(per_event(median(cpu)), 11)
                  << pad(db_cpu.empty() ? "-" : fixed(median(db_cpu), 1), 10)
                  << pad(std::to_string(equal) + "/" + std::to_string(finished) + " eq", 11) << "\n";
    }
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

}  // namespace

int run_projection_bench(int argc, char** argv, const ProjectionBenchSpec& spec) {
    Settings s;
    std::string scenario_list = "noop,sqlite,postgresql";
    std::string batch_list = std::to_string(spec.default_batch);
    CLI::App app{spec.program + ": " + spec.description};
    app.add_option("--brokers", s.brokers, "Kafka bootstrap servers")->capture_default_str();
    app.add_option("--pg", s.pg,
                   "PostgreSQL conninfo (e.g. \"$(tools/postgres-dev.sh conn)\"); a fresh schema is used");
    app.add_option("-n,--events", s.events, "events in the topic")->capture_default_str();
    app.add_option("--posts", s.posts, "distinct posts the events are spread over")->capture_default_str();
    app.add_option("-p,--partitions", s.partitions, "topic partitions")->capture_default_str();
    app.add_option("--batch,--batches", batch_list,
                   "fanoutd batch.max_events; a comma-separated list runs every scenario at each size")
        ->capture_default_str();
    app.add_option("--linger-ms", s.linger_ms, "fanoutd batch.linger_ms")->capture_default_str();
    app.add_option("-s,--scenarios", scenario_list,
                   "comma-separated: noop, sqlite, postgresql, and the same with -b (the --b-* build)")
        ->capture_default_str();
    app.add_option("--work-dir", s.work_dir,
                   "scratch folder: configs, logs, the SQLite file (default: a new one under /tmp, removed after a "
                   "successful run)");
    app.add_option("--timeout", s.timeout_s, "per scenario, seconds")->capture_default_str();
    app.add_flag("!--no-verify", s.verify, "skip comparing the tables with the reference folded from the events");
    app.add_flag("--keep", s.keep, "keep the topic, the SQLite file and the PostgreSQL schema");
    app.add_option("--repeat", s.repeat,
                   "run the scenario list this many times, alternating; then a median per scenario")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--bin-dir", s.bin_dir, "where fanoutd is")->capture_default_str();
    app.add_option("--lib-dir", s.lib_dir, "where the plugin libraries are")->capture_default_str();
    app.add_option("--b-bin-dir", s.b_bin_dir, "fanoutd of the -b scenarios (default: --bin-dir)");
    app.add_option("--b-lib-dir", s.b_lib_dir, "plugin libraries of the -b scenarios (default: --lib-dir)");
    CLI11_PARSE(app, argc, argv);
    s.scenarios = split(scenario_list);
    for (const std::string& b : split(batch_list)) {
        const int batch = std::atoi(b.c_str());
        if (batch < 1) {
            std::cerr << spec.program << ": --batches: " << b << " is not a batch size (a positive integer)\n";
            return 2;
        }
        s.batches.push_back(batch);
    }
    for (const std::string& name : s.scenarios) {
        const std::string kind = name.ends_with("-b") ? name.substr(0, name.size() - 2) : name;
        if (kind != "noop" && kind != "sqlite" && kind != "postgresql") {
            std::cerr << spec.program << ": --scenarios: unknown scenario " << name
                      << " (expected noop, sqlite, postgresql, optionally with -b)\n";
            return 2;
        }
    }

    try {
        const bool own_work_dir = s.work_dir.empty();
        if (own_work_dir) s.work_dir = fs::temp_directory_path() / (spec.program + "-" + std::to_string(::getpid()));
        fs::create_directories(s.work_dir);
        const std::string id = std::to_string(::getpid()) + "-" +
                               std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
        const std::string topic = spec.tag + "-bench-" + id;
        RdKafka admin = make_client(RD_KAFKA_PRODUCER, s.brokers, {});
        create_topic(admin.get(), topic, s.partitions);
        std::cout << "loading " << s.events << " events over " << s.posts << " posts into " << topic << " ("
                  << s.partitions << " partitions)..." << std::flush;
        const auto t_load = Clock::now();
        load_topic(s.brokers, topic, s.events, s.posts, s.verify ? spec.reference : nullptr);
        const auto ends = end_offsets(admin.get(), topic, s.partitions);
        const std::int64_t total = std::accumulate(ends.begin(), ends.end(), std::int64_t{0});
        std::cout << " done in " << fixed(std::chrono::duration<double>(Clock::now() - t_load).count(), 1) << " s\n";
        if (total != static_cast<std::int64_t>(s.events)) {
            throw std::runtime_error("topic holds " + std::to_string(total) + " events");
        }

        double load_before[3] = {-1, -1, -1};
        if (::getloadavg(load_before, 3) < 0) load_before[0] = -1;
        std::vector<Result> results;
        std::vector<std::string> labels;
        int counter = 0;
        for (int run = 1; run <= s.repeat; ++run) {
            for (const int batch : s.batches) {
                for (const std::string& name : s.scenarios) {
                    const bool b_side = name.ends_with("-b");
                    const std::string kind = b_side ? name.substr(0, name.size() - 2) : name;
                    const fs::path bin_dir = b_side && !s.b_bin_dir.empty() ? s.b_bin_dir : s.bin_dir;
                    const fs::path lib_dir = b_side && !s.b_lib_dir.empty() ? s.b_lib_dir : s.lib_dir;
                    const std::string label = s.batches.size() > 1 ? name + "@" + std::to_string(batch) : name;
                    if (run == 1) labels.push_back(label);
                    const std::string run_id = std::to_string(::getpid()) + "_" + std::to_string(++counter);
                    const std::string prefix = spec.tag + "bench-" + run_id + "-" + name;
                    const std::string group = prefix + "." + kind;
                    Target target;
                    if (kind == "noop") {
                        noop_target(target, s, lib_dir, topic, group);
                    } else {
                        projection_target(target, s, spec, kind, lib_dir, group, run_id);
                    }
                    std::cout << "running " << label;
                    if (s.repeat > 1) std::cout << " (" << run << "/" << s.repeat << ")";
                    std::cout << "..." << std::flush;
                    Result r = run_scenario(s, label, kind, batch, prefix, bin_dir, topic, total, target);
                    r.run = run;
                    if (r.ok && s.verify && target.differences) {
                        const std::string differences = target.differences();
                        r.verified = differences.empty() ? "equal" : "DIFFERENT";
                        r.note += differences;
                    }
                    std::cout << (r.ok ? " ok" : " FAILED") << "\n";
                    results.push_back(r);
                    drop_schema(s, target);
                }
            }
        }
        report(s, results, labels, total, "tables");
        if (!s.keep) delete_topics(admin.get(), {topic, topic + ".dead-letter"});
        const bool all_ok = std::all_of(results.begin(), results.end(), [](const Result& r) { return r.ok; });
        if (own_work_dir && !s.keep && all_ok) fs::remove_all(s.work_dir);  // logs are kept when a scenario failed
        double load[3] = {0, 0, 0};
        if (::getloadavg(load, 3) < 0) load[0] = -1;
        std::cout << "\nevents/s = events / (fanoutd start -> last event accounted for); steady/s excludes startup\n"
                     "(process start, group join, first batch). cpu s = fanoutd user+sys, cpu us/ev = that per event;\n"
                     "db cpu s = the PostgreSQL server's (postmaster + exited backends). tables: the projection's\n"
                     "tables == the reference folded from the events.\nload average (1 min): "
                  << fixed(load_before[0], 2) << " before the first scenario, " << fixed(load[0], 2)
                  << " after the last\n";
        return all_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << spec.program << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace fanout::bench
