#pragma once
// The database options every SQL projection declares, and the typed settings
// made from them. A projection embeds ConnectionSettings in its own Settings
// and declares the options with its own description of `connection`:
//
//   inline constexpr auto k_options = sql::database_options("my projection's database: ...");
//   // descriptor: k_options.data(), k_options.size()
#include <array>
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

/// The option schema of a projection's database: `connection` (required,
/// described by `connection_description`) and the three options above. A
/// projection with options of its own lists these among them.
constexpr std::array<OptionSpec, 4> database_options(const char* connection_description) {
    return {{{"connection", OptionType::string, nullptr, connection_description},
             k_lock_timeout_option,
             k_connect_timeout_option,
             k_reconnect_interval_option}};
}

/// Typed settings from validated options (`connection` and the three options
/// above). Throws std::invalid_argument for values outside their range and a
/// connection string that does not parse.
ConnectionSettings parse_connection_settings(const Options& options);

/// `connection` with the PostgreSQL connect timeout added when absent.
std::string connection_with_timeout(const ConnectionSettings& settings);

/// `connection` without secrets, for log lines (password values masked).
std::string redacted(const std::string& connection);

}  // namespace fanout::sql
