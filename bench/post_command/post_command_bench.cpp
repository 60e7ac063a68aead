// post_command_bench: commands/s and p50/p99 latency of newPost and likePost
// against a real post-command process (port 0, loopback), a fixed number of
// requests from a bounded number of client threads, on SQLite and PostgreSQL.
// Prints a table; never pass/fail. See README.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>

#include "bench_figures.hpp"
#include "load_client.hpp"
#include "service_process.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using fanout::bench::percentile;
using fanout::bench::process_cpu_seconds;

namespace {

struct Options {
    std::string stores = "sqlite,postgresql";
    std::string pg;
    std::string brokers;
    int clients = 4;
    int posts = 2000;
    int likes = 20000;
    int hot_likes = 5000;
    int http_floor = 10000;
    std::string sqlite_synchronous = "normal";
    std::string binary = std::string(FANOUT_BIN_DIR) + "/post-command";
    bool skip_drain = false;
    int http_threads = 0;  ///< 0: the service's default
};

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

/// post-command as a child process.
class Service {
public:
    Service(const Options& o, const std::string& store, const fs::path& dir)
        : instance_(++instances_),
          process_("post-command", command_line(o, store, dir, instance_),
                   dir / ("post-command-" + std::to_string(instance_) + ".log")),
          port_(process_.listening_port(std::chrono::seconds(30))) {}
    int port() const { return port_; }
    /// CPU seconds (user + system) the service has used so far.
    double cpu_seconds() const { return process_.cpu_seconds(); }

private:
    /// Writes the service's configuration; its command line.
    static std::vector<std::string> command_line(const Options& o, const std::string& store, const fs::path& dir,
                                                 int instance) {
        const fs::path config = dir / "bench.yaml";
        std::ofstream(config) << "event_store: {sqlite_synchronous: " << o.sqlite_synchronous << "}\n"
                              << (o.http_threads > 0 ? "http: {threads: " + std::to_string(o.http_threads) + "}\n" : "")
                              << "kafka: {topic: bench-post-command-" << ::getpid() << "-" << instance << "}\n";
        return {o.binary, "--config",  config.string(), "--listen",    "127.0.0.1:0", "--event-store",
                store,    "--brokers", o.brokers,       "--log-level", "info"};
    }

    static inline int instances_ = 0;
    int instance_;
    fanout::bench::ServiceProcess process_;
    int port_;
};

struct Phase {
    std::string store, command;
    int requests = 0, clients = 0, errors = 0;
    double seconds = 0;
    double server_cpu = 0, client_cpu = 0;  ///< CPU seconds during the phase
    std::vector<double> latencies_ms;
};

/// `requests` requests (request i is `make(i)`) over `clients` keep-alive
/// connections from one epoll loop (load_client.hpp); `check(i, status, body)`.
Phase run_phase(const std::string& store, const std::string& command, const Service& service, int clients, int requests,
                const std::function<std::string(int)>& make,
                const std::function<bool(int, int, std::string_view)>& check) {
    const double server_cpu = service.cpu_seconds(), client_cpu = process_cpu_seconds();
    Phase phase;
    phase.store = store;
    phase.command = command;
    phase.requests = requests;
    phase.clients = clients;
    fanout::bench::LoadResult load = fanout::bench::run_load(service.port(), clients, requests, make, check);
    phase.seconds = load.seconds;
    phase.server_cpu = service.cpu_seconds() - server_cpu;
    phase.client_cpu = process_cpu_seconds() - client_cpu;
    phase.errors = load.errors;
    phase.latencies_ms = std::move(load.latencies_ms);
    return phase;
}

/// Seconds until the relay has published everything stored (lag 0).
double relay_drain_seconds(int port) {
    httplib::Client client("127.0.0.1", port);
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(120)) {
        auto r = client.Get("/api/v1/status");
        if (r && r->status == 200) {
            rapidjson::Document doc;
            doc.Parse(r->body.c_str());
            if (doc.IsObject() && doc["lag"].GetInt64() == 0) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<Phase> bench_store(const Options& o, const std::string& kind, const std::string& connection,
                               const fs::path& dir) {
    Service service(o, connection, dir);
    std::vector<std::string> ids(static_cast<std::size_t>(o.posts));
    std::vector<Phase> phases;
    using fanout::bench::http_request;
    phases.push_back(run_phase(
        kind, "newPost", service, o.clients, o.posts,
        [](int i) {
            return http_request("POST", "/api/v1/newPost",
                                R"({"author":"author)" + std::to_string(i % 97) + R"(","message":"Benchmark post )" +
                                    std::to_string(i) + R"( on Fanout"})");
        },
        [&](int i, int status, std::string_view body) {
            if (status != 201) return false;
            rapidjson::Document doc;
            doc.Parse(body.data(), body.size());
            if (!doc.IsObject() || !doc.HasMember("id")) return false;
            ids[static_cast<std::size_t>(i)] = doc["id"].GetString();
            return true;
        }));
    std::mt19937 rng(7);
    std::vector<std::size_t> targets(static_cast<std::size_t>(o.likes));
    for (auto& t : targets) t = rng() % ids.size();
    const auto ok = [](int status) { return [status](int, int got, std::string_view) { return got == status; }; };
    phases.push_back(run_phase(
        kind, "likePost", service, o.clients, o.likes,
        [&](int i) { return http_request("PUT", "/api/v1/likePost/" + ids[targets[static_cast<std::size_t>(i)]]); },
        ok(200)));
    if (o.http_floor > 0) {
        // The HTTP stack alone: a route that touches neither the store nor
        // Kafka (the restore job's in-memory progress). The floor under any command.
        phases.push_back(run_phase(
            kind, "GET restoreReadDb (HTTP floor)", service, o.clients, o.http_floor,
            [](int) { return http_request("GET", "/api/v1/restoreReadDb"); }, ok(200)));
    }
    if (o.hot_likes > 0) {
        phases.push_back(run_phase(
            kind, "likePost (1 hot post)", service, o.clients, o.hot_likes,
            [&](int) { return http_request("PUT", "/api/v1/likePost/" + ids[0]); }, ok(200)));
    }
    if (!o.skip_drain) {
        const double drain = relay_drain_seconds(service.port());
        std::printf("  %s: relay caught up %.2f s after the last command\n", kind.c_str(), drain);
    }
    return phases;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"post_command_bench: newPost/likePost commands/s and latency on SQLite and PostgreSQL"};
    app.add_option("--stores", o.stores, "comma-separated: sqlite, postgresql");
    app.add_option("--pg", o.pg, "libpq conninfo of a PostgreSQL server (default FANOUT_TEST_PG)");
    app.add_option("--brokers", o.brokers, "Kafka bootstrap (default FANOUT_TEST_BROKERS or 127.0.0.1:19092)");
    app.add_option("--clients", o.clients, "keep-alive connections (one request in flight each, one client thread)");
    app.add_option("--posts", o.posts, "newPost requests");
    app.add_option("--likes", o.likes, "likePost requests spread over the new posts");
    app.add_option("--hot-likes", o.hot_likes, "likePost requests on one post (0: skip)");
    app.add_option("--http-floor", o.http_floor, "GET requests to a route without store or Kafka work (0: skip)");
    app.add_option("--sqlite-synchronous", o.sqlite_synchronous, "normal or full");
    app.add_option("--binary", o.binary, "post-command binary");
    app.add_option("--http-threads", o.http_threads, "the service's http.threads (default: its own default)");
    app.add_flag("--skip-drain", o.skip_drain, "do not wait for the relay to publish everything (e.g. a dead broker)");
    CLI11_PARSE(app, argc, argv);
    if (o.pg.empty())
        o.pg = env_or("FANOUT_TEST_PG", "dbname=fanout user=fanout password=fanout host=127.0.0.1 port=15432");
    if (o.brokers.empty()) o.brokers = env_or("FANOUT_TEST_BROKERS", "127.0.0.1:19092");

    const fs::path dir = fs::temp_directory_path() / ("post-command-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<Phase> all;
    try {
        if (o.stores.find("sqlite") != std::string::npos) {
            const auto phases =
                bench_store(o, "sqlite (" + o.sqlite_synchronous + ")", "sqlite:" + (dir / "events.db").string(), dir);
            all.insert(all.end(), phases.begin(), phases.end());
        }
        if (o.stores.find("postgresql") != std::string::npos) {
            const std::string db = "pc_bench_" + std::to_string(::getpid());
            {
                soci::session admin(soci::postgresql, o.pg);
                admin << "CREATE DATABASE " + db;
            }
            try {
                const auto phases = bench_store(o, "postgresql", o.pg + " dbname=" + db, dir);
                all.insert(all.end(), phases.begin(), phases.end());
            } catch (...) {
                soci::session admin(soci::postgresql, o.pg);
                admin << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
                throw;
            }
            soci::session admin(soci::postgresql, o.pg);
            admin << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
        }
    } catch (const std::exception& e) {
        std::cerr << "post_command_bench: " << e.what() << '\n';
        fs::remove_all(dir);
        return 1;
    }
    fs::remove_all(dir);

    // CPU per command is what the shared machine does not distort much:
    // 2 cores / (server + client CPU per command) bounds the throughput.
    std::printf(
        "\n| store | command | requests | clients | commands/s | p50 ms | p99 ms | errors "
        "| server CPU us/cmd | client CPU us/cmd |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Phase& p : all) {
        std::printf("| %s | %s | %d | %d | %.0f | %.3f | %.3f | %d | %.0f | %.0f |\n", p.store.c_str(),
                    p.command.c_str(), p.requests, p.clients, p.requests / p.seconds, percentile(p.latencies_ms, 0.50),
                    percentile(p.latencies_ms, 0.99), p.errors, 1e6 * p.server_cpu / p.requests,
                    1e6 * p.client_cpu / p.requests);
    }
    std::printf("\nload average while running: ");
    std::ifstream load("/proc/loadavg");
    std::string line;
    std::getline(load, line);
    std::printf("%s (%u CPUs)\n", line.c_str(), std::thread::hardware_concurrency());
    return 0;
}
