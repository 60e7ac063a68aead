#pragma once
// The plugin's declared options and the typed settings made from them.
#include <chrono>
#include <iterator>
#include <string>

#include "fanout/options.hpp"

namespace fanout::plugins::sql_read_model {

struct Settings {
    /// `sqlite:/path/file.db` or a PostgreSQL URL / libpq conninfo
    /// (fanout/common/connection_string.hpp; checked by parse_settings).
    std::string connection;
    /// Longest wait for a row or table lock before the batch is retried.
    std::chrono::milliseconds lock_timeout{10'000};
    /// PostgreSQL connect timeout (added to the conninfo unless it has one).
    std::chrono::seconds connect_timeout{5};
    /// Minimum time between two reconnection attempts while the database is down.
    std::chrono::milliseconds reconnect_interval{1'000};
};

/// The option schema handed to the host.
inline constexpr OptionSpec k_options[] = {
    {"connection", OptionType::string, nullptr,
     "read model database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
     "\"host=... dbname=...\""},
    {"lock_timeout_ms", OptionType::integer, "10000",
     "longest wait for a database lock before the batch is retried later (SQLite busy timeout, PostgreSQL "
     "lock_timeout)"},
    {"connect_timeout_s", OptionType::integer, "5", "PostgreSQL connect timeout, unless the connection sets one"},
    {"reconnect_interval_ms", OptionType::integer, "1000",
     "minimum time between two reconnection attempts while the database is unreachable"},
};

/// Typed settings from validated options. Throws std::invalid_argument for
/// values outside their range and a connection string that does not parse.
Settings parse_settings(const Options& options);

/// `connection` with the PostgreSQL connect timeout added when absent.
std::string connection_with_timeout(const Settings& settings);

/// `connection` without secrets, for log lines (password values masked).
std::string redacted(const std::string& connection);

}  // namespace fanout::plugins::sql_read_model
