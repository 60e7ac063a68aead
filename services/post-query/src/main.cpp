// post-query: parse arguments, install signal handling, wire the service.
#include <pthread.h>
#include <sys/resource.h>

#include <array>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <mutex>
#include <thread>

#include "config.hpp"
#include "database.hpp"
#include "fanout/common/cli.hpp"
#include "fanout/common/shutdown_watch.hpp"
#include "generation.hpp"
#include "http_server.hpp"
#include "log.hpp"
#include "post_lookup.hpp"
#include "schema.hpp"

using namespace fanout::post_query;

namespace {

namespace exit_code = fanout::common::exit_code;

constexpr std::chrono::seconds k_lease_wait{5};

/// The numeric flags: each overrides its setting from the file when given.
struct NumberFlag {
    const char* name;
    int Settings::*setting;
    int max;
    const char* help;
};
constexpr NumberFlag k_number_flags[] = {
    {"--threads", &Settings::threads, k_max_threads, "HTTP threads (default 8); an idle connection holds none"},
    {"--pool-size", &Settings::pool_size, k_max_pool_size, "database sessions (default: as many as threads)"},
    {"--max-connections", &Settings::max_connections, k_max_connections,
     "connections open at once; more are answered 503 (default 4096)"},
    {"--idle-timeout-ms", &Settings::idle_timeout_ms, k_max_timeout_ms,
     "close a connection idle this long (default 5000)"},
    {"--request-timeout-ms", &Settings::request_timeout_ms, k_max_timeout_ms,
     "a request's header and body must arrive within this (default 10000)"},
};

/// Create or upgrade the read model's schema (only with --migrate: the
/// sql_read_model plugin owns it).
void migrate_schema(const std::string& database) {
    soci::session session;
    fanout::read_model::open_session(session, database);
    fanout::read_model::migrate(session);
    log().info("read model schema migrated to version {}", fanout::read_model::current_version(session));
}

/// Every connection is a descriptor: raise the soft limit to the hard one
/// and say when max_connections cannot be reached.
void raise_descriptor_limit(const Settings& settings) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t needed = static_cast<rlim_t>(settings.max_connections) + static_cast<rlim_t>(settings.pool_size) + 64;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        log().warn(
            "open file limit {} is below max_connections={} plus sessions; connections past it wait in the "
            "listen backlog (raise LimitNOFILE / ulimit -n)",
            static_cast<unsigned long long>(limit.rlim_cur), settings.max_connections);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"post-query: the Query API (GET /api/v1/postLookup/...) over Fanout's SQL read model"};
    std::string config_path;
    std::string listen;
    std::string database;
    std::string component;
    std::array<int, std::size(k_number_flags)> numbers{};  // 0: not given
    bool migrate = false;
    bool show_version = false;
    std::string log_level = "info";
    std::string log_format = "auto";
    app.add_option("-c,--config", config_path,
                   "YAML file with listen, database, read_model_component, threads, pool_size, max_connections, "
                   "idle_timeout_ms, request_timeout_ms");
    app.add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8081; port 0 picks one)");
    app.add_option("--database", database, "read model: sqlite:/path.db, postgresql://... or libpq 'dbname=...'");
    app.add_option("--read-model-component", component,
                   "the read model's name in fanout_generations: serve its live generation (default read_model)");
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        const NumberFlag& f = k_number_flags[i];
        app.add_option(f.name, numbers[i], f.help)->check(CLI::Range(1, f.max));
    }
    app.add_flag("--migrate", migrate, "create or upgrade the read model schema first (normally the plugin's job)");
    app.add_flag("--version", show_version, "print the version and exit");
    fanout::common::add_log_options(app, log_level, &log_format);
    if (const auto done = fanout::common::parse_arguments(app, argc, argv)) return *done;
    if (show_version) {
        std::printf("post-query %s (read model schema %d)\n", FANOUT_VERSION, fanout::read_model::k_schema_version);
        return exit_code::ok;
    }

    Settings settings;
    try {
        if (!config_path.empty()) settings = load_config_file(config_path);
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return exit_code::config;
    }
    try {
        if (!listen.empty()) settings.listen = parse_listen(listen);
    } catch (const std::invalid_argument& e) {
        std::cerr << "post-query: --listen: " << e.what() << '\n';
        return exit_code::usage;
    }
    if (!database.empty()) settings.database = database;
    try {
        if (!component.empty()) settings.read_model_component = parse_component(component);
    } catch (const std::invalid_argument& e) {
        std::cerr << "post-query: --read-model-component: " << e.what() << '\n';
        return exit_code::usage;
    }
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        if (numbers[i] > 0) settings.*k_number_flags[i].setting = numbers[i];
    }
    if (settings.pool_size == 0) settings.pool_size = settings.threads;
    if (settings.database.empty()) {
        if (config_path.empty()) {
            std::cerr << "post-query: no database: pass --database or --config FILE (see --help)\n";
            return exit_code::usage;
        }
        std::cerr << config_path << ": missing required key 'database' (or pass --database)\n";
        return exit_code::config;
    }
    ConnectionString target;
    try {
        target = parse_connection(settings.database);
    } catch (const std::invalid_argument& e) {
        std::cerr << "post-query: --database: " << e.what() << '\n';
        return exit_code::usage;
    }

    init_logging(fanout::common::log_format_named(log_format), fanout::common::log_level_named(log_level));

    // Before any thread exists: only sigtimedwait below sees these.
    const sigset_t signals = fanout::common::block_signals({SIGTERM, SIGINT});
    std::signal(SIGPIPE, SIG_IGN);

    SessionPool pool(target, static_cast<std::size_t>(settings.pool_size), k_lease_wait, settings.read_model_component);
    GenerationFollower generations(target, settings.read_model_component);
    PostLookup lookup(pool, generations);
    raise_descriptor_limit(settings);
    ServerLimits limits;
    limits.threads = settings.threads;
    limits.max_connections = settings.max_connections;
    limits.idle_timeout = std::chrono::milliseconds(settings.idle_timeout_ms);
    limits.request_timeout = std::chrono::milliseconds(settings.request_timeout_ms);
    HttpServer server(lookup, limits);
    int port = 0;
    try {
        port = server.bind(settings.listen);
    } catch (const std::exception& e) {
        log().critical("{}", e.what());
        return exit_code::unavailable;
    }
    // The first line: tests and operators read the bound port from it.
    log().info("listening on {}:{}", settings.listen.host, port);
    log().info(
        "post-query {} database={} read_model_component={} threads={} pool_size={} max_connections={} "
        "idle_timeout_ms={} request_timeout_ms={}",
        FANOUT_VERSION, target.display(), settings.read_model_component, settings.threads, settings.pool_size,
        settings.max_connections, settings.idle_timeout_ms, settings.request_timeout_ms);
    if (migrate) {
        try {
            migrate_schema(settings.database);
        } catch (const std::exception& e) {
            log().critical("--migrate failed: {}", e.what());
            return exit_code::unavailable;
        }
    }
    lookup.readiness();  // logs whether the read model is there yet

    std::mutex mutex;
    std::condition_variable stopped_cv;
    bool stopped = false;
    std::thread listener([&] {
        server.run();
        const std::lock_guard lock(mutex);
        stopped = true;
        stopped_cv.notify_all();
    });

    int sig = 0;
    while (sig != SIGTERM && sig != SIGINT) {
        timespec tick{1, 0};
        sig = sigtimedwait(&signals, nullptr, &tick);
        const std::lock_guard lock(mutex);
        if (stopped) break;  // the listener failed on its own
    }
    log().info("{}: stopping", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "listener ended");
    {
        fanout::common::ShutdownWatch watch;
        watch.step("HTTP: closing idle connections, answering the requests in progress");
        // stop() is a no-op until the listener is running; repeat until it ends.
        std::unique_lock lock(mutex);
        while (!stopped) {
            lock.unlock();
            server.stop();
            lock.lock();
            stopped_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopped; });
        }
    }
    listener.join();
    log().info("stopped");
    return sig == SIGTERM || sig == SIGINT ? exit_code::ok : exit_code::unavailable;
}
