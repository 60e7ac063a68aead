#pragma once
// The plugin's declared options and the typed settings made from them.
#include "fanout/options.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::plugins::sql_read_model {

struct Settings {
    /// The read model database and the timing of its connection.
    sql::ConnectionSettings database;
};

/// The option schema handed to the host.
inline constexpr auto k_options = sql::database_options(
    "read model database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
    "\"host=... dbname=...\"");

/// Typed settings from validated options. Throws std::invalid_argument for
/// values outside their range and a connection string that does not parse.
inline Settings parse_settings(const Options& options) { return Settings{sql::parse_connection_settings(options)}; }

}  // namespace fanout::plugins::sql_read_model
