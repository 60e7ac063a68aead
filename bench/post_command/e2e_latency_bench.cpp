// End-to-end latency of the whole system: from a command's HTTP response from
// post-command to the change being visible in the Query API (post-query),
// through the event store, the outbox relay, Kafka, fanoutd and sql_read_model,
// with the time split into stages (e2e_stages.hpp).
//
// Starts the three processes (real broker, SQLite event store and read model
// in a temporary folder), creates the posts, then sends likePost at a fixed
// rate from one paced client. Every `--probe-every`-th like goes to a probe
// post that has no other like in flight; a poller reads that post through the
// Query API every `--poll-us` until its like count shows the like, and the
// time from the like's response to that read is the probe's latency.
// `--busy N` runs N CPU-bound processes beside it for the paced phase;
// `--bin-dir-b`/`--lib-dir-b` and `--repeat` alternate two builds (A/B).
// Prints figures, never pass/fail.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include "bench_figures.hpp"
#include "e2e_stages.hpp"
#include "service_process.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using fanout::bench::now_us;
using fanout::bench::percentile;
using fanout::bench::ServiceProcess;

namespace {

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

void print_row(const std::string& what, const std::vector<double>& ms) {
    std::printf("| %s | %zu | %.1f | %.1f | %.1f | %.1f |\n", what.c_str(), ms.size(), percentile(ms, 0.5),
                percentile(ms, 0.9), percentile(ms, 0.99), ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));
}

std::int64_t likes_of(httplib::Client& query, const std::string& post) {
    auto r = query.Get("/api/v1/postLookup/byId/" + post);
    if (!r || r->status != 200) return -1;
    rapidjson::Document doc;
    doc.Parse(r->body.c_str());
    if (!doc.IsObject() || !doc.HasMember("posts") || doc["posts"].Empty()) return -1;
    return doc["posts"][0]["likes"].GetInt64();
}

std::string load_average() {
    std::string s = fanout::harness::read_file("/proc/loadavg");
    return s.substr(0, s.find(' '));
}

struct Options {
    std::string brokers;
    std::string bin_dir, lib_dir;
    int rate = 1000, seconds = 15, posts = 500, probe_every = 20, poll_us = 1000, linger_ms = 5, relay_linger_ms = 5,
        busy = 0, drain_seconds = 60;
    std::vector<std::string> fanoutd_properties, relay_properties;
    std::string post_command_log_level = "info";
};

struct Probe {
    std::string post;
    std::int64_t expected_likes = 0;
    Clock::time_point answered;
    std::int64_t answered_us = 0;
    std::int64_t visible_us = -1;
    bool visible_before_end = false;
};

/// The stages of one probe, in microseconds since the epoch (-1: not seen).
struct ProbeStages {
    std::int64_t stored = -1, produced = -1, published = -1, consumed = -1, committed = -1, visible = -1;
};

constexpr const char* k_stage_names[] = {"stored", "produced", "published", "consumed", "committed", "visible"};
constexpr const char* k_stage_what[] = {"likePost response (committed)",    "record CreateTime (relay produced)",
                                        "read from the topic by the bench", "fanoutd handed it to the plugin",
                                        "read model checkpoint past it",    "Query API shows it"};
constexpr int k_stages = 6;

std::int64_t stage_of(const ProbeStages& s, int i) {
    const std::int64_t v[] = {s.stored, s.produced, s.published, s.consumed, s.committed, s.visible};
    return v[i];
}

struct RunResult {
    std::string variant;
    int probes = 0;
    std::size_t never_visible = 0, late = 0;  ///< never within the drain; not visible when the load stopped
    double achieved_rate = 0;
    int errors = 0;
    std::vector<double> response_ms;
    std::vector<ProbeStages> stages;
    std::size_t batches = 0;
};

/// One complete run: start the processes, load, measure, stop them.
RunResult run_once(const Options& o, const std::string& variant, const std::string& bin_dir,
                   const std::string& lib_dir) {
    char dir_template[] = "/tmp/fanout-e2e-bench.XXXXXX";
    const fs::path dir = ::mkdtemp(dir_template);
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(now_us() % 1'000'000);
    const std::string topic = "e2e-bench-" + tag;

    {
        std::ofstream y(dir / "post-command.yaml");
        y << "kafka:\n  topic: " << topic << "\n";
        if (!o.relay_properties.empty()) {
            y << "  properties:\n";
            for (const auto& kv : o.relay_properties) {
                const auto eq = kv.find('=');
                y << "    " << kv.substr(0, eq) << ": \"" << kv.substr(eq + 1) << "\"\n";
            }
        }
        y << "relay: {linger_ms: " << o.relay_linger_ms << "}\n";
    }
    {
        std::ofstream y(dir / "fanoutd.yaml");
        y << "kafka:\n  brokers: " << o.brokers << "\n";
        if (!o.fanoutd_properties.empty()) {
            y << "  properties:\n";
            for (const auto& kv : o.fanoutd_properties) {
                const auto eq = kv.find('=');
                y << "    " << kv.substr(0, eq) << ": \"" << kv.substr(eq + 1) << "\"\n";
            }
        }
        y << "group_prefix: e2e-bench-" << tag << "\n"
          << "dead_letter_topic: " << topic << ".dead-letter\n"
          << "plugins:\n"
          << "  - name: read_model\n    type: library\n"
          << "    path: " << lib_dir << "/libfanout_sql_read_model.so\n"
          << "    topics: [" << topic << "]\n"
          << "    batch: { max_events: 1000, linger_ms: " << o.linger_ms << " }\n"
          << "    options:\n      connection: sqlite:" << (dir / "read-model.db").string() << "\n";
    }

    RunResult result;
    result.variant = variant;
    ServiceProcess command("post-command",
                           {bin_dir + "/post-command", "--config", (dir / "post-command.yaml").string(), "--listen",
                            "127.0.0.1:0", "--event-store", "sqlite:" + (dir / "events.db").string(), "--brokers",
                            o.brokers, "--log-level", o.post_command_log_level},
                           dir / "post-command.log");
    const int command_port = command.listening_port(30s);
    httplib::Client cmd("127.0.0.1", command_port);
    cmd.set_keep_alive(true);
    cmd.set_tcp_nodelay(true);

    // The posts first, so the topic exists before fanoutd subscribes.
    std::vector<std::string> ids;
    for (int i = 0; i < o.posts; ++i) {
        auto r = cmd.Post(
            "/api/v1/newPost",
            R"({"author":"author)" + std::to_string(i % 50) + R"(","message":"post )" + std::to_string(i) + "\"}",
            "application/json");
        if (!r || r->status != 201) {
            throw std::runtime_error("newPost failed: " + (r ? r->body : httplib::to_string(r.error())));
        }
        rapidjson::Document doc;
        doc.Parse(r->body.c_str());
        ids.emplace_back(doc["id"].GetString());
    }

    // fanoutd at debug level: its "batch handed" lines place the consumed stage.
    ServiceProcess fanoutd("fanoutd",
                           {bin_dir + "/fanoutd", "--config", (dir / "fanoutd.yaml").string(), "--log-format", "plain",
                            "--log-level", "debug"},
                           dir / "fanoutd.log");
    fanoutd.wait_for("ready: every plugin joined", 60s);
    // The read model's schema exists once the plugin started.
    ServiceProcess query_service("post-query",
                                 {bin_dir + "/post-query", "--listen", "127.0.0.1:0", "--database",
                                  "sqlite:" + (dir / "read-model.db").string(), "--threads", "4"},
                                 dir / "post-query.log");
    const int query_port = query_service.listening_port(30s);
    httplib::Client query("127.0.0.1", query_port);
    query.set_keep_alive(true);
    query.set_tcp_nodelay(true);
    const auto warm_deadline = Clock::now() + 120s;
    while (likes_of(query, ids.back()) != 0) {
        if (Clock::now() > warm_deadline) {
            throw std::runtime_error("the read model did not catch up with the posts\n" +
                                     fanout::harness::read_file(dir / "fanoutd.log"));
        }
        std::this_thread::sleep_for(50ms);
    }

    // Probe posts: the last `probe_posts` ids, each with at most one probe in flight.
    const int probe_posts = std::max(1, std::min(o.posts / 2, 50));
    std::set<std::string> probe_ids(ids.end() - probe_posts, ids.end());
    fanout::bench::TopicWatcher topic_watcher(o.brokers, topic, probe_ids);
    fanout::bench::CheckpointWatcher checkpoints(dir / "read-model.db", topic, o.poll_us);

    std::vector<std::int64_t> probe_likes(static_cast<std::size_t>(probe_posts), 0);
    std::mutex mutex;
    std::deque<std::size_t> outstanding;  // indexes into `probes`
    std::deque<Probe> probes;             // stable addresses
    std::atomic<bool> sending{true};
    std::atomic<int> errors{0};

    std::thread poller([&] {
        httplib::Client q("127.0.0.1", query_port);
        q.set_keep_alive(true);
        q.set_tcp_nodelay(true);
        for (;;) {
            std::vector<std::size_t> now;
            {
                std::lock_guard lock(mutex);
                if (outstanding.empty() && !sending) break;
                now.assign(outstanding.begin(), outstanding.end());
            }
            for (const std::size_t i : now) {
                std::string post;
                std::int64_t expected = 0;
                {
                    std::lock_guard lock(mutex);
                    post = probes[i].post;
                    expected = probes[i].expected_likes;
                }
                if (likes_of(q, post) >= expected) {
                    const std::int64_t at = now_us();
                    std::lock_guard lock(mutex);
                    probes[i].visible_us = at;
                    probes[i].visible_before_end = sending.load();
                    outstanding.erase(std::find(outstanding.begin(), outstanding.end(), i));
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(o.poll_us));
        }
    });

    std::vector<fanout::harness::ChildProcess> busy = fanout::bench::busy_load(o.busy);
    if (o.busy > 0) std::this_thread::sleep_for(500ms);  // let the scheduler see them as the hogs they are
    std::mt19937 rng(7);
    const int total = o.rate * o.seconds;
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / o.rate);
    const auto start = Clock::now();
    int probe_index = 0;
    result.response_ms.reserve(static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i) {
        std::this_thread::sleep_until(start + i * interval);
        const bool probe = i % o.probe_every == 0;
        std::size_t slot = 0;
        std::string post;
        if (probe) {
            slot = static_cast<std::size_t>(probe_index++ % probe_posts);
            post = ids[ids.size() - 1 - slot];
            std::lock_guard lock(mutex);
            if (std::any_of(outstanding.begin(), outstanding.end(),
                            [&](std::size_t j) { return probes[j].post == post; })) {
                post.clear();  // its previous probe is not visible yet: send an ordinary like instead
            }
        }
        const bool is_probe = !post.empty();
        if (!is_probe) post = ids[rng() % static_cast<std::size_t>(o.posts - probe_posts)];
        const auto t0 = Clock::now();
        auto r = cmd.Put("/api/v1/likePost/" + post, "", "application/json");
        const auto t1 = Clock::now();
        const std::int64_t t1_us = now_us();
        result.response_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (!r || r->status != 200) {
            ++errors;
            continue;
        }
        if (is_probe) {
            std::lock_guard lock(mutex);
            probes.push_back({post, ++probe_likes[slot], t1, t1_us});
            outstanding.push_back(probes.size() - 1);
        }
    }
    const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    {
        std::lock_guard lock(mutex);
        result.late = outstanding.size();
    }
    sending = false;
    const auto drain_deadline = Clock::now() + std::chrono::seconds(o.drain_seconds);
    while (Clock::now() < drain_deadline) {
        {
            std::lock_guard lock(mutex);
            if (outstanding.empty()) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    busy.clear();
    {
        std::lock_guard lock(mutex);
        result.never_visible = outstanding.size();
        outstanding.clear();
    }
    poller.join();
    std::this_thread::sleep_for(200ms);  // the watchers' last look

    const fanout::bench::BatchLog batches(dir / "fanoutd.log", "read_model", topic);
    result.batches = batches.batches();
    for (const Probe& p : probes) {
        ProbeStages s;
        s.stored = p.answered_us;
        s.visible = p.visible_us;
        // The n-th like of a post is its version n + 1 (PostCreated is version 1).
        const fanout::bench::TopicSighting seen = topic_watcher.find(p.post, p.expected_likes + 1);
        if (seen.partition >= 0) {
            s.produced = seen.created_ms * 1000;
            s.published = seen.seen_us;
            s.consumed = batches.handed_us(seen.partition, seen.offset);
            s.committed = checkpoints.committed_us(seen.partition, seen.offset);
        }
        result.stages.push_back(s);
    }
    result.probes = static_cast<int>(probes.size());
    result.errors = errors.load();
    result.achieved_rate = total / send_seconds;
    std::printf("run %s: %d likes in %.2f s (%.0f/s), %d errors, %d probes, load average %s, work dir %s\n",
                variant.c_str(), total, send_seconds, result.achieved_rate, result.errors, result.probes,
                load_average().c_str(), dir.c_str());
    return result;
}

std::vector<double> stage_ms(const RunResult& r, int from, int to) {
    std::vector<double> out;
    for (const ProbeStages& s : r.stages) {
        const std::int64_t a = stage_of(s, from), b = stage_of(s, to);
        if (a >= 0 && b >= 0) out.push_back(static_cast<double>(b - a) / 1000.0);
    }
    return out;
}

void print_run(const RunResult& r) {
    std::printf(
        "\n| %s: since the likePost response | probes | p50 ms | p90 ms | p99 ms | max ms |\n"
        "|---|---:|---:|---:|---:|---:|\n",
        r.variant.c_str());
    for (int i = 1; i < k_stages; ++i) {
        print_row(std::string(k_stage_names[i]) + " (" + k_stage_what[i] + ")", stage_ms(r, 0, i));
    }
    std::printf("\n| %s: per stage | probes | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n",
                r.variant.c_str());
    for (int i = 1; i < k_stages; ++i) {
        print_row(std::string(k_stage_names[i - 1]) + " -> " + k_stage_names[i], stage_ms(r, i - 1, i));
    }
    print_row("command response (likePost)", r.response_ms);
    std::printf(
        "%s: %d probes, %zu not visible when the load stopped, %zu never visible (drain limit), "
        "%zu batches handed to the plugin\n",
        r.variant.c_str(), r.probes, r.late, r.never_visible, r.batches);
}

void print_summary(const std::vector<RunResult>& runs) {
    std::map<std::string, std::vector<const RunResult*>> by_variant;
    for (const auto& r : runs) by_variant[r.variant].push_back(&r);
    std::printf(
        "\nsummary over runs: median [min–max] of each run's figure, ms\n\n"
        "| variant | runs | visible p50 | visible p90 | visible p99 | visible max | never visible |");
    for (int i = 1; i < k_stages; ++i) std::printf(" p99 %s->%s |", k_stage_names[i - 1], k_stage_names[i]);
    std::printf("\n|---|---:|---:|---:|---:|---:|---:|");
    for (int i = 1; i < k_stages; ++i) std::printf("---:|");
    std::printf("\n");
    auto cell = [](std::vector<double> v, const char* fmt) {
        std::sort(v.begin(), v.end());
        std::printf(" ");
        std::printf(fmt, median(v));
        if (v.size() > 1) {
            std::printf(" [");
            std::printf(fmt, v.front());
            std::printf("–");
            std::printf(fmt, v.back());
            std::printf("]");
        }
        std::printf(" |");
    };
    for (const auto& [variant, rs] : by_variant) {
        std::printf("| %s | %zu |", variant.c_str(), rs.size());
        for (double p : {0.5, 0.9, 0.99, 1.0}) {
            std::vector<double> v;
            for (const RunResult* r : rs) v.push_back(percentile(stage_ms(*r, 0, k_stages - 1), p));
            cell(v, "%.0f");
        }
        std::vector<double> lost;
        for (const RunResult* r : rs) lost.push_back(static_cast<double>(r->never_visible));
        cell(lost, "%.0f");
        for (int i = 1; i < k_stages; ++i) {
            std::vector<double> v;
            for (const RunResult* r : rs) v.push_back(percentile(stage_ms(*r, i - 1, i), 0.99));
            cell(v, "%.0f");
        }
        std::printf("\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == fanout::bench::k_busy_loop_argument) fanout::bench::busy_loop();
    CLI::App app{"End-to-end latency: command response to visible in the Query API, per stage"};
    Options o;
    o.brokers = std::getenv("FANOUT_BENCH_BROKERS") ? std::getenv("FANOUT_BENCH_BROKERS") : "127.0.0.1:19092";
    o.bin_dir = FANOUT_BIN_DIR;
    o.lib_dir = FANOUT_LIB_DIR;
    std::string bin_dir_b, lib_dir_b;
    int repeat = 1;
    app.add_option("--brokers", o.brokers, "Kafka bootstrap servers (FANOUT_BENCH_BROKERS)");
    app.add_option("--rate", o.rate, "likePost commands per second")->check(CLI::Range(1, 1'000'000));
    app.add_option("--seconds", o.seconds, "how long the paced load runs")->check(CLI::Range(1, 3600));
    app.add_option("--posts", o.posts, "posts the likes are spread over")->check(CLI::Range(4, 1'000'000));
    app.add_option("--probe-every", o.probe_every, "every Nth like is a probe")->check(CLI::Range(1, 1'000'000));
    app.add_option("--poll-us", o.poll_us, "Query API and checkpoint poll interval")->check(CLI::Range(100, 1'000'000));
    app.add_option("--batch-linger-ms", o.linger_ms, "fanoutd batch.linger_ms of the read model plugin");
    app.add_option("--relay-linger-ms", o.relay_linger_ms, "post-command relay.linger_ms");
    app.add_option("--busy", o.busy, "CPU-bound processes running beside the system during the load")
        ->check(CLI::Range(0, 64));
    app.add_option("--drain-seconds", o.drain_seconds, "how long to wait for the last probes after the load")
        ->check(CLI::Range(1, 3600));
    app.add_option("-X,--fanoutd-property", o.fanoutd_properties, "K=V: an extra fanoutd kafka.properties entry");
    app.add_option("-P,--relay-property", o.relay_properties, "K=V: an extra post-command kafka.properties entry");
    app.add_option("--post-command-log-level", o.post_command_log_level, "post-command --log-level");
    app.add_option("--bin-dir", o.bin_dir, "binaries of build A (post-command, fanoutd, post-query)");
    app.add_option("--lib-dir", o.lib_dir, "plugins of build A");
    app.add_option("--bin-dir-b", bin_dir_b, "binaries of build B: runs alternate A, B, A, B ...");
    app.add_option("--lib-dir-b", lib_dir_b, "plugins of build B (default: --lib-dir)");
    app.add_option("--repeat", repeat, "runs per build")->check(CLI::Range(1, 100));
    CLI11_PARSE(app, argc, argv);
    if (lib_dir_b.empty()) lib_dir_b = o.lib_dir;

    std::printf(
        "e2e latency: likePost at %d/s for %d s, %d posts, probe every %d, poll %d us, batch.linger_ms %d, "
        "relay.linger_ms %d, --busy %d, SQLite store and read model, %u CPUs, load average %s\n",
        o.rate, o.seconds, o.posts, o.probe_every, o.poll_us, o.linger_ms, o.relay_linger_ms, o.busy,
        std::thread::hardware_concurrency(), load_average().c_str());
    std::printf("A = %s%s%s\n", o.bin_dir.c_str(), bin_dir_b.empty() ? "" : ", B = ", bin_dir_b.c_str());
    std::vector<RunResult> runs;
    bool failed = false;
    for (int i = 0; i < repeat; ++i) {
        for (const bool b : {false, true}) {
            if (b && bin_dir_b.empty()) continue;
            try {
                runs.push_back(b ? run_once(o, "B", bin_dir_b, lib_dir_b) : run_once(o, "A", o.bin_dir, o.lib_dir));
                print_run(runs.back());
                failed = failed || runs.back().never_visible > 0 || runs.back().errors > 0;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "run failed: %s\n", e.what());
                failed = true;
            }
            std::fflush(stdout);
        }
    }
    if (runs.size() > 1) print_summary(runs);
    return failed ? 1 : 0;
}
