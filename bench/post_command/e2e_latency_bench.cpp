// End-to-end latency of the whole system: from a command's HTTP response from
// post-command to the change being visible in the Query API (post-query),
// through the event store, the outbox relay, Kafka, fanoutd and sql_read_model.
//
// Starts the three processes (real broker, SQLite event store and read model
// in a temporary folder), creates the posts, then sends likePost at a fixed
// rate from one paced client. Every `--probe-every`-th like goes to a probe
// post that has no other like in flight; a poller reads that post through the
// Query API every `--poll-us` until its like count shows the like, and the
// time from the like's response to that read is the probe's latency.
// Prints p50/p90/p99/max of the probes and of the command responses.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A child process with its output in a log file; SIGTERM and reaped on destruction.
class Child {
public:
    Child(const std::string& name, const std::vector<std::string>& argv, fs::path log) : name_(name), log_(std::move(log)) {
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~Child() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    /// The first match of `pattern` in the log (group 1), waiting up to `timeout`.
    std::string wait_for(const std::string& pattern, std::chrono::seconds timeout) {
        const std::regex re(pattern);
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            std::smatch m;
            const std::string text = read_text(log_);
            if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error(name_ + " did not log /" + pattern + "/:\n" + read_text(log_));
    }

private:
    std::string name_;
    fs::path log_;
    pid_t pid_ = -1;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

void print_row(const std::string& what, const std::vector<double>& ms) {
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f |\n", what.c_str(), ms.size(), percentile(ms, 0.5),
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

struct Probe {
    std::string post;
    std::int64_t expected_likes;
    Clock::time_point answered;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"End-to-end latency: command response to visible in the Query API"};
    std::string brokers = std::getenv("FANOUT_BENCH_BROKERS") ? std::getenv("FANOUT_BENCH_BROKERS") : "127.0.0.1:19092";
    std::string bin_dir = FANOUT_BIN_DIR, lib_dir = FANOUT_LIB_DIR;
    int rate = 1000, seconds = 15, posts = 500, probe_every = 20, poll_us = 1000, linger_ms = 5, relay_linger_ms = 5;
    app.add_option("--brokers", brokers, "Kafka bootstrap servers (FANOUT_BENCH_BROKERS)");
    app.add_option("--rate", rate, "likePost commands per second");
    app.add_option("--seconds", seconds, "how long the paced load runs");
    app.add_option("--posts", posts, "posts the likes are spread over");
    app.add_option("--probe-every", probe_every, "every Nth like is a probe");
    app.add_option("--poll-us", poll_us, "Query API poll interval per outstanding probe");
    app.add_option("--batch-linger-ms", linger_ms, "fanoutd batch.linger_ms of the read model plugin");
    app.add_option("--relay-linger-ms", relay_linger_ms, "post-command relay.linger_ms");
    CLI11_PARSE(app, argc, argv);

    char dir_template[] = "/tmp/fanout-e2e-bench.XXXXXX";
    const fs::path dir = ::mkdtemp(dir_template);
    const std::string tag = std::to_string(::getpid());
    const std::string topic = "e2e-bench-" + tag;

    std::ofstream(dir / "post-command.yaml") << "kafka: {topic: " << topic << "}\n"
                                             << "relay: {linger_ms: " << relay_linger_ms << "}\n";
    std::ofstream(dir / "fanoutd.yaml")
        << "kafka:\n  brokers: " << brokers << "\n"
        << "group_prefix: e2e-bench-" << tag << "\n"
        << "dead_letter_topic: " << topic << ".dead-letter\n"
        << "plugins:\n"
        << "  - name: read_model\n    type: library\n"
        << "    path: " << lib_dir << "/libfanout_sql_read_model.so\n"
        << "    topics: [" << topic << "]\n"
        << "    batch: { max_events: 1000, linger_ms: " << linger_ms << " }\n"
        << "    options:\n      connection: sqlite:" << (dir / "read-model.db").string() << "\n";

    Child command("post-command",
                  {bin_dir + "/post-command", "--config", (dir / "post-command.yaml").string(), "--listen",
                   "127.0.0.1:0", "--event-store", "sqlite:" + (dir / "events.db").string(), "--brokers", brokers},
                  dir / "post-command.log");
    const int command_port = std::stoi(command.wait_for(R"(listening on [0-9.]+:([0-9]+))", 30s));
    httplib::Client cmd("127.0.0.1", command_port);
    cmd.set_keep_alive(true);
    cmd.set_tcp_nodelay(true);

    // The posts first, so the topic exists before fanoutd subscribes.
    std::vector<std::string> ids;
    for (int i = 0; i < posts; ++i) {
        auto r = cmd.Post("/api/v1/newPost",
                          R"({"author":"author)" + std::to_string(i % 50) + R"(","message":"post )" + std::to_string(i) + "\"}",
                          "application/json");
        if (!r || r->status != 201) {
            std::cerr << "newPost failed: " << (r ? r->body : httplib::to_string(r.error())) << "\n";
            return 1;
        }
        rapidjson::Document doc;
        doc.Parse(r->body.c_str());
        ids.emplace_back(doc["id"].GetString());
    }

    Child fanoutd("fanoutd", {bin_dir + "/fanoutd", "--config", (dir / "fanoutd.yaml").string(), "--log-format", "plain"},
                  dir / "fanoutd.log");
    fanoutd.wait_for("ready: every plugin joined", 60s);
    // The read model's schema exists once the plugin started.
    Child query_service("post-query",
                        {bin_dir + "/post-query", "--listen", "127.0.0.1:0", "--database",
                         "sqlite:" + (dir / "read-model.db").string(), "--threads", "4"},
                        dir / "post-query.log");
    const int query_port = std::stoi(query_service.wait_for(R"(listening on [0-9.]+:([0-9]+))", 30s));
    httplib::Client query("127.0.0.1", query_port);
    query.set_keep_alive(true);
    query.set_tcp_nodelay(true);
    const auto warm_deadline = Clock::now() + 120s;
    while (likes_of(query, ids.back()) != 0) {
        if (Clock::now() > warm_deadline) {
            std::cerr << "the read model did not catch up with the posts\n" << read_text(dir / "fanoutd.log");
            return 1;
        }
        std::this_thread::sleep_for(50ms);
    }

    // Probe posts: the last `probe_posts` ids, each with at most one probe in flight.
    const int probe_posts = std::max(1, std::min(posts / 2, 50));
    std::vector<std::int64_t> probe_likes(static_cast<std::size_t>(probe_posts), 0);
    std::vector<Clock::time_point> probe_busy_until(static_cast<std::size_t>(probe_posts));
    std::mutex mutex;
    std::deque<Probe> outstanding;
    std::vector<double> e2e_ms, response_ms;
    std::atomic<bool> sending{true};
    std::atomic<int> errors{0};

    std::thread poller([&] {
        httplib::Client q("127.0.0.1", query_port);
        q.set_keep_alive(true);
        q.set_tcp_nodelay(true);
        for (;;) {
            std::vector<Probe> now;
            {
                std::lock_guard lock(mutex);
                if (outstanding.empty() && !sending) break;
                now.assign(outstanding.begin(), outstanding.end());
            }
            for (const auto& p : now) {
                if (likes_of(q, p.post) >= p.expected_likes) {
                    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - p.answered).count();
                    std::lock_guard lock(mutex);
                    e2e_ms.push_back(ms);
                    outstanding.erase(std::find_if(outstanding.begin(), outstanding.end(),
                                                   [&](const Probe& o) { return o.post == p.post; }));
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(poll_us));
        }
    });

    std::mt19937 rng(7);
    const int total = rate * seconds;
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
    const auto start = Clock::now();
    int probe_index = 0;
    for (int i = 0; i < total; ++i) {
        std::this_thread::sleep_until(start + i * interval);
        const bool probe = i % probe_every == 0;
        std::size_t slot = 0;
        std::string post;
        if (probe) {
            slot = static_cast<std::size_t>(probe_index++ % probe_posts);
            post = ids[ids.size() - 1 - slot];
            std::lock_guard lock(mutex);
            if (std::any_of(outstanding.begin(), outstanding.end(), [&](const Probe& o) { return o.post == post; })) {
                post.clear();  // its previous probe is not visible yet: send an ordinary like instead
            }
        }
        const bool is_probe = !post.empty();
        if (!is_probe) post = ids[rng() % static_cast<std::size_t>(posts - probe_posts)];
        const auto t0 = Clock::now();
        auto r = cmd.Put("/api/v1/likePost/" + post, "", "application/json");
        const auto t1 = Clock::now();
        response_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (!r || r->status != 200) {
            ++errors;
            continue;
        }
        if (is_probe) {
            std::lock_guard lock(mutex);
            outstanding.push_back({post, ++probe_likes[slot], t1});
        }
    }
    const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    sending = false;
    const auto drain_deadline = Clock::now() + 60s;
    while (Clock::now() < drain_deadline) {
        {
            std::lock_guard lock(mutex);
            if (outstanding.empty()) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    std::size_t lost = 0;
    {
        std::lock_guard lock(mutex);
        lost = outstanding.size();
        outstanding.clear();
    }
    poller.join();

    std::printf("e2e latency: likePost at %d/s for %d s (%d sent in %.2f s = %.0f/s, %d errors), %d posts, "
                "probe every %d, poll %d us, batch.linger_ms %d, relay.linger_ms %d, SQLite store and read model\n",
                rate, seconds, total, send_seconds, total / send_seconds, errors.load(), posts, probe_every, poll_us,
                linger_ms, relay_linger_ms);
    std::printf("| measure | samples | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
    print_row("command response (likePost)", response_ms);
    print_row("response -> visible in the Query API", e2e_ms);
    if (lost) std::printf("%zu probes never became visible within 60 s\n", lost);
    std::printf("logs and databases in %s\n", dir.c_str());
    return lost || errors ? 1 : 0;
}
