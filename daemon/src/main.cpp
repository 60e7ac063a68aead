// fanoutd: parse arguments, install signal handling, wire the daemon.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <librdkafka/rdkafka.h>

#include "admin_server.hpp"
#include "config.hpp"
#include "config_error.hpp"
#include "daemon.hpp"
#include "fanout/abi.hpp"
#include "fanout/common/cli.hpp"
#include "log.hpp"
#include "plugin_factory.hpp"
#include "supervisor.hpp"

using namespace fanout::daemon;

int main(int argc, char** argv) {
    CLI::App app{"fanoutd: runs Fanout plugins over Kafka event streams, one consumer group per plugin"};
    std::string config_path;
    bool check_only = false;
    bool show_version = false;
    std::string log_level = "info";
    std::string log_format = "auto";
    app.add_option("-c,--config", config_path, "YAML configuration file");
    app.add_flag("--check-config", check_only, "validate the configuration, load every plugin, touch no broker");
    app.add_flag("--version", show_version, "print the version and exit");
    fanout::common::add_log_options(app, log_level, &log_format);
    if (const auto done = fanout::common::parse_arguments(app, argc, argv)) return *done;
    if (show_version) {
        std::printf("fanoutd %s (plugin ABI %u, librdkafka %s)\n", FANOUT_VERSION, fanout::k_abi_version,
                    rd_kafka_version_str());
        return exit_code::ok;
    }
    if (config_path.empty()) {
        std::cerr << "fanoutd: --config FILE is required (see --help)\n";
        return exit_code::usage;
    }
    init_logging(fanout::common::log_format_named(log_format), fanout::common::log_level_named(log_level));

    // Before any thread exists: only the supervisor's sigtimedwait sees these.
    const sigset_t signals = fanout::common::block_signals({SIGTERM, SIGINT, SIGHUP});

    DaemonSettings settings;
    std::vector<std::unique_ptr<PluginFactory>> factories;
    try {
        settings = load_config(config_path);
        factories = prepare_plugins(settings);
        // librdkafka properties are validated here too, without a connection.
        make_kafka_conf(settings.kafka, {}, settings.file);
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return exit_code::config;
    }
    if (check_only) {
        // Each plugin's own check (a definition file its options name, ...):
        // every problem of every plugin, then one verdict.
        std::vector<fanout::CheckReport> reports;
        bool failed = false;
        for (std::size_t i = 0; i < factories.size(); ++i) {
            reports.push_back(factories[i]->check());
            const PluginSettings& p = settings.plugins[i];
            for (const std::string& error : reports.back().errors) {
                std::cerr << error << " (plugin '" << p.name << "', " << p.options_location.file.string() << ":"
                          << p.options_location.line << ")\n";
                failed = true;
            }
        }
        if (failed) return exit_code::config;
        std::cout << config_path << ": OK (" << settings.plugins.size() << " plugin"
                  << (settings.plugins.size() == 1 ? "" : "s") << ")\n";
        for (std::size_t i = 0; i < factories.size(); ++i) {
            std::cout << "  " << settings.plugins[i].name << ": " << factories[i]->describe() << '\n';
            for (const std::string& note : reports[i].notes) std::cout << "    " << note << '\n';
        }
        return exit_code::ok;
    }

    try {
        const std::string admin_listen = settings.admin_listen;
        const std::filesystem::path control_token_file = settings.control_token_file;
        Daemon daemon(std::move(settings), std::move(factories));
        log().info("fanoutd {} starting with {} plugin(s)", FANOUT_VERSION, daemon.settings()->plugins.size());
        std::unique_ptr<AdminServer> admin;
        if (!admin_listen.empty()) admin = std::make_unique<AdminServer>(daemon, admin_listen, control_token_file);
        if (!daemon.start(std::chrono::seconds(60))) return exit_code::unavailable;
        Supervisor supervisor(daemon, config_path, signals);
        return supervisor.run();
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return exit_code::config;
    } catch (const std::exception& e) {
        log().critical("fatal: {}", e.what());
        return exit_code::unavailable;
    }
}
