#pragma once
// The database options every SQL projection declares, and the typed settings
// made from them. A projection embeds ConnectionSettings in its own Settings
// and lists the options in its own schema, with its own description of
// `connection`:
//
//   inline constexpr OptionSpec k_options[] = {
//       {"connection", OptionType::string, nullptr, "my projection's database: ..."},
//       sql::k_lock_timeout_option, sql::k_connect_timeout_option, sql::k_reconnect_interval_option};
#include <chrono>
#include <string>

#include "fanout/options.hpp"

namespace fanout::sql {

struct ConnectionSettings {
    /// `sqlite:/path/file.db` or a PostgreSQL URL / libpq conninfo
    /// (fanout/common/connection_string.hpp; checked by parse_connection_settings).
    std::string connection;
    /// Longest wait for a row or table lock before the batch is retried.
    std::chrono::milliseconds lock_timeout{10'000};
    /// PostgreSQL connect timeout (added to the conninfo unless it has one).
    std::chrono::seconds connect_timeout{5};
    /// Minimum time between two reconnection attempts while the database is down.
    std::chrono::milliseconds reconnect_interval{1'000};
};

inline constexpr OptionSpec k_lock_timeout_option{
    "lock_timeout_ms", OptionType::integer, "10000",
    "longest wait for a database lock before the batch is retried later (SQLite busy timeout, PostgreSQL "
    "lock_timeout)"};
inline constexpr OptionSpec k_connect_timeout_option{"connect_timeout_s", OptionType::integer, "5",
                                                     "PostgreSQL connect timeout, unless the connection sets one"};
inline constexpr OptionSpec k_reconnect_interval_option{
    "reconnect_interval_ms", OptionType::integer, "1000",
    "minimum time between two reconnection attempts while the database is unreachable"};

/// Typed settings from validated options (`connection` and the three options
/// above). Throws std::invalid_argument for values outside their range and a
/// connection string that does not parse.
ConnectionSettings parse_connection_settings(const Options& options);

/// `connection` with the PostgreSQL connect timeout added when absent.
std::string connection_with_timeout(const ConnectionSettings& settings);

/// `connection` without secrets, for log lines (password values masked).
std::string redacted(const std::string& connection);

}  // namespace fanout::sql
