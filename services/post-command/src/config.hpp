#pragma once
// post-command's settings: a YAML file (--config) and command-line flags,
// flags winning. Errors are ConfigError: `file:line:col: message` (exit 78).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "auth.hpp"
#include "fanout/common/config_error.hpp"
#include "kafka_publisher.hpp"
#include "outbox_relay.hpp"
#include "store_connection.hpp"

namespace fanout::post_command {

/// A configuration problem: `file:line:col: message` (fanout/common/config_error.hpp).
using common::ConfigError;

struct Settings {
    std::filesystem::path file;  ///< the YAML file, if any

    std::string listen_address = "127.0.0.1";
    int listen_port = 8080;  ///< 0: any free port (logged)
    /// I/O threads of the HTTP server. A connection holds no thread while
    /// idle or while its command waits for the group commit.
    int http_threads = 2;
    std::size_t max_body_bytes = 64 * 1024;
    /// Idle keep-alive connections close after this (a SIGTERM closes them
    /// at once); it also bounds each read of a slow request.
    int keep_alive_timeout_s = 5;

    std::string event_store = "sqlite:post-command-events.db";
    SqliteTuning sqlite;
    std::int64_t snapshot_interval = 100;
    std::size_t reader_connections = 4;

    int max_retries = 3;
    std::size_t aggregate_cache_size = 100'000;
    std::size_t max_group_commit = 256;

    KafkaSettings kafka;
    RelaySettings relay;
    std::string restore_topic;  ///< empty: kafka.topic

    std::chrono::milliseconds shutdown_timeout{10'000};

    /// Bearer-token authentication (auth.hpp); off by default, as the seed.
    /// When on, load_settings has read its key material once already.
    AuthSettings auth;
};

/// Command-line values; set ones override the file.
struct Overrides {
    std::optional<std::string> listen;  ///< "host:port"
    std::optional<std::string> event_store;
    std::optional<std::string> brokers;
    std::optional<std::string> topic;
    std::optional<std::int64_t> snapshot_interval;
    std::optional<bool> auth_enabled;                   ///< --auth on|off
    std::optional<std::string> auth_hs256_secret_file;  ///< replaces the file's key source
};

/// Load `file` (when given), apply `overrides`, validate. Relative SQLite
/// paths in the file are relative to the file's directory.
Settings load_settings(const std::optional<std::filesystem::path>& file, const Overrides& overrides);

}  // namespace fanout::post_command
