#pragma once
// post-query's settings: defaults, then the YAML file (--config), then flags.
#include <filesystem>
#include <stdexcept>
#include <string>

#include "fanout/common/config_error.hpp"

namespace fanout::post_query {

/// A configuration problem: `file:line:col: message` (fanout/common/config_error.hpp).
using common::ConfigError;

struct ListenAddress {
    std::string host = "127.0.0.1";
    int port = 8081;  ///< 0: any free port (logged once bound)
};

struct Settings {
    ListenAddress listen;
    std::string database;                             ///< connection string, see database.hpp
    std::string read_model_component = "read_model";  ///< the sql_read_model plugin's name in fanout_generations
    int threads = 8;                                  ///< HTTP threads (idle connections hold none)
    int pool_size = 0;                                ///< database sessions; 0: as many as threads
    int max_connections = 4096;                       ///< open at once; one more is answered 503 and closed
    int idle_timeout_ms = 5'000;      ///< wait for a request's first byte (new and keep-alive connections)
    int request_timeout_ms = 10'000;  ///< from that byte, the whole header and body
};

/// Limits shared by the file and the flags.
inline constexpr int k_max_threads = 256;
inline constexpr int k_max_pool_size = 256;
inline constexpr int k_max_connections = 1'000'000;
inline constexpr int k_max_timeout_ms = 3'600'000;

/// A read model component named `text` (`[A-Za-z0-9_]+`: it becomes part of a
/// schema name). Throws std::invalid_argument saying what is allowed.
std::string parse_component(const std::string& text);

/// `host:port` or `[v6]:port`, port 0..65535. Throws std::invalid_argument.
ListenAddress parse_listen(const std::string& text);

/// Settings from a YAML mapping with the keys listen, database,
/// read_model_component, threads, pool_size, max_connections, idle_timeout_ms
/// and request_timeout_ms;
/// unknown keys, wrong types and bad values are ConfigErrors at their
/// position. A relative SQLite path is taken relative to the file. Values
/// may use ${NAME}, ${NAME:-fallback} and ${file:PATH}
/// (fanout/common/config_expand.hpp).
Settings load_config_file(const std::filesystem::path& file);

}  // namespace fanout::post_query
