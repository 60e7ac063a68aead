#pragma once
// The plugin's declared options and the typed settings made from them.
#include "fanout/options.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::plugins::analytics {

struct Settings {
    /// The analytics database and the timing of its connection.
    sql::ConnectionSettings database;
};

/// The option schema handed to the host (unknown keys are refused there).
inline constexpr auto k_options = sql::database_options(
    "analytics database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
    "\"host=... dbname=...\" (may be the read model's database: every table is prefixed analytics_)");

/// Typed settings from validated options. Throws std::invalid_argument for
/// values outside their range and a connection string that does not parse.
inline Settings parse_settings(const Options& options) { return Settings{sql::parse_connection_settings(options)}; }

}  // namespace fanout::plugins::analytics
