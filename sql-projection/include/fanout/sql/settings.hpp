#pragma once
// The database options every SQL projection declares, and the typed settings
// made from them. A projection embeds ConnectionSettings in its own Settings
// and declares the options with its own description of `connection`:
//
//   inline constexpr auto k_options = sql::database_options("my projection's database: ...");
//   // descriptor: k_options.data(), k_options.size()
#include <array>
#include <chrono>
#include <cstdint>
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
    /// Group commit: under load (events already waiting for the next batch)
    /// one transaction holds the work of several batches, up to this many
    /// events or this long; it commits as soon as no event waits. 1 / 0 ms:
    /// every batch commits on its own.
    std::uint64_t commit_max_events = 10'000;
    std::chrono::milliseconds commit_max_delay{50};

    // Set by fanoutd, never by a configuration (host options, see
    // parse_connection_settings):
    /// This instance rebuilds the projection into a new generation of its
    /// tables (generations.hpp): `fanout.rebuild`.
    bool rebuild = false;
    /// How long the generation a rebuild replaces is kept once the new one
    /// is live: `fanout.rebuild_retire_after_s`.
    std::chrono::seconds retire_after{600};
};

/// Host options: fanoutd adds these to the options of a rebuild's instance;
/// they are in no plugin's schema and no configuration may set them.
inline constexpr const char* k_rebuild_option = "fanout.rebuild";
inline constexpr const char* k_rebuild_retire_after_option = "fanout.rebuild_retire_after_s";

inline constexpr OptionSpec k_lock_timeout_option{
    "lock_timeout_ms", OptionType::integer, "10000",
    "longest wait for a database lock before the batch is retried later (SQLite busy timeout, PostgreSQL "
    "lock_timeout)"};
inline constexpr OptionSpec k_connect_timeout_option{"connect_timeout_s", OptionType::integer, "5",
                                                     "PostgreSQL connect timeout, unless the connection sets one"};
inline constexpr OptionSpec k_reconnect_interval_option{
    "reconnect_interval_ms", OptionType::integer, "1000",
    "minimum time between two reconnection attempts while the database is unreachable"};

inline constexpr OptionSpec k_commit_max_events_option{
    "commit_max_events", OptionType::integer, "10000",
    "group commit: most events one transaction holds across batches while more events wait (1: commit every "
    "batch)"};
inline constexpr OptionSpec k_commit_max_delay_option{
    "commit_max_delay_ms", OptionType::integer, "50",
    "group commit: longest time the work of a busy stream stays uncommitted (0: commit every batch); an idle "
    "stream commits at once"};

/// The option schema of a projection's database: `connection` (required,
/// described by `connection_description`) and the five options above. A
/// projection with options of its own lists these among them.
constexpr std::array<OptionSpec, 6> database_options(const char* connection_description) {
    return {{{"connection", OptionType::string, nullptr, connection_description},
             k_lock_timeout_option,
             k_connect_timeout_option,
             k_reconnect_interval_option,
             k_commit_max_events_option,
             k_commit_max_delay_option}};
}

/// Typed settings from validated options (`connection` and the five options
/// above, and the host options when set). Throws std::invalid_argument for values outside their range and a
/// connection string that does not parse.
ConnectionSettings parse_connection_settings(const Options& options);

/// `connection` with the PostgreSQL connect timeout added when absent.
std::string connection_with_timeout(const ConnectionSettings& settings);

/// `connection` without secrets, for log lines (password values masked).
std::string redacted(const std::string& connection);

}  // namespace fanout::sql
