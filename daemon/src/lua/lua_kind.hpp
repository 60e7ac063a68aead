#pragma once
// `type: lua`: a script run by the Lua runtime. Its own entry key is the
// `lua:` block: the script's limits, and a database that makes the script an
// exactly-once SQL projection (lua_projection.hpp).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"
#include "plugin_kind.hpp"

namespace fanout::daemon::lua {

struct LuaSettings {
    std::size_t memory_limit_bytes = 64u << 20;
    std::uint64_t instruction_limit = 10'000'000;  ///< per call into the script
    /// A larger script file (or anything but a regular file) is refused unread.
    std::size_t max_script_bytes = 16u << 20;
    /// The database of a SQL projection (lua.connection; empty: none), its
    /// timeouts (as the SQL plugins' options of the same names), and where
    /// the connection is in the file.
    std::string connection;
    Milliseconds lock_timeout{10'000};
    Milliseconds reconnect_interval{1'000};
    std::chrono::seconds connect_timeout{5};
    std::uint64_t commit_max_events = 10'000;
    Milliseconds commit_max_delay{50};
    SourceLocation connection_location;
};

/// The settings of a `type: lua` entry (defaults when it has no `lua:` block).
const LuaSettings& lua_settings(const PluginSettings& settings);

const PluginKind& lua_kind();

}  // namespace fanout::daemon::lua
