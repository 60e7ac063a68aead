// post-command: parse arguments, install signal handling, wire the service.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "config.hpp"
#include "fanout/common/cli.hpp"
#include "log.hpp"
#include "service.hpp"

using namespace fanout::post_command;

namespace exit_code = fanout::common::exit_code;

int main(int argc, char** argv) {
    CLI::App app{"post-command: the Command API of Fanout (event-sourced posts, outbox relay to Kafka)"};
    std::string config_path, listen, event_store, brokers, topic, auth, auth_secret_file, log_level = "info";
    std::int64_t snapshot_interval = -1;
    bool check_only = false, show_version = false;
    app.add_option("-c,--config", config_path, "YAML configuration file (config/post-command.yaml)");
    app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port, logged)");
    app.add_option("--event-store", event_store, "sqlite:/path/events.db, or a PostgreSQL URL / conninfo");
    app.add_option("--brokers", brokers, "Kafka bootstrap servers");
    app.add_option("--topic", topic, "Kafka topic of post events (default post-events)");
    app.add_option("--snapshot-interval", snapshot_interval, "snapshot a post every N events (0: never)");
    app.add_option("--auth", auth, "bearer-token authentication on or off (auth.enabled)")
        ->check(CLI::IsMember({"on", "off"}));
    app.add_option("--auth-hs256-secret-file", auth_secret_file,
                   "file holding the HS256 secret (auth.hs256_secret_file; replaces the file's key source)");
    fanout::common::add_log_options(app, log_level);
    app.add_flag("--check-config", check_only, "validate the configuration and exit");
    app.add_flag("--version", show_version, "print the version and exit");
    if (const auto done = fanout::common::parse_arguments(app, argc, argv)) return *done;
    if (show_version) {
        std::printf("post-command %s\n", FANOUT_VERSION);
        return exit_code::ok;
    }
    init_logging(fanout::common::LogFormat::plain, fanout::common::log_level_named(log_level));

    Overrides overrides;
    if (!listen.empty()) overrides.listen = listen;
    if (!event_store.empty()) overrides.event_store = event_store;
    if (!brokers.empty()) overrides.brokers = brokers;
    if (!topic.empty()) overrides.topic = topic;
    if (snapshot_interval >= 0) overrides.snapshot_interval = snapshot_interval;
    if (!auth.empty()) overrides.auth_enabled = auth == "on";
    if (!auth_secret_file.empty()) overrides.auth_hs256_secret_file = auth_secret_file;
    Settings settings;
    try {
        settings = load_settings(config_path.empty() ? std::nullopt : std::optional(config_path), overrides);
        validate_kafka_settings(settings.kafka);
    } catch (const ConfigError& e) {
        std::cerr << "post-command: " << e.what() << '\n';
        return exit_code::config;
    } catch (const std::invalid_argument& e) {
        std::cerr << "post-command: " << e.what() << '\n';
        return exit_code::config;
    }
    if (check_only) {
        std::cout << (config_path.empty() ? "flags" : config_path) << ": OK\n";
        return exit_code::ok;
    }

    // Before any thread exists: only sigwait below sees these.
    std::signal(SIGPIPE, SIG_IGN);
    const sigset_t signals = fanout::common::block_signals({SIGTERM, SIGINT});

    try {
        Service service(settings);
        const int port = service.bind();
        service.start();
        log().info("listening on {}:{}", settings.listen_address, port);
        int sig = 0;
        while (sigwait(&signals, &sig) != 0 || (sig != SIGTERM && sig != SIGINT)) {
        }
        log().info("received {}, stopping: no new requests, relay finishes its in-flight publish",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
        service.stop();
        log().info("stopped cleanly");
        return exit_code::ok;
    } catch (const std::exception& e) {
        log().critical("cannot start: {}", e.what());
        return exit_code::unavailable;
    }
}
