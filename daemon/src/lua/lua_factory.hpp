#pragma once
// Makes LuaPlugin instances for one `type: lua` plugin entry, and notices
// when its script changes on disk (SIGHUP then swaps in a new instance).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "config.hpp"
#include "fanout/sql/settings.hpp"
#include "lua/lua_projection.hpp"
#include "lua/lua_state.hpp"
#include "plugin_factory.hpp"

namespace fanout::daemon::lua {

class LuaPluginFactory final : public PluginFactory {
public:
    /// Reads the script, compiles it and runs its top level in a scratch
    /// state to find the entry points (init() is not called). Throws
    /// ConfigError: at the entry's `path` when the file cannot be read (also a
    /// directory, device, FIFO, or a file over `lua.max_script_mb`), as
    /// `script.lua:LINE: message` for an error at a line of the script.
    explicit LuaPluginFactory(const PluginSettings& settings);

    /// Pipeline thread. Reads the script again: the instance runs what is on
    /// disk now. Throws when it does not load or init() fails.
    std::unique_ptr<Plugin> create(Context& context, HostServices& services) override;
    /// Any thread. True when the file's content differs from the running
    /// instance's (or the file became unreadable: the reload then says why).
    bool changed_on_disk() const override;
    std::string describe() const override;
    /// A projection: its migrations tried on an empty in-memory SQLite
    /// database (PostgreSQL: a note that the server checks them).
    CheckReport check() const override;

private:
    /// lua.connection is set: the script is an exactly-once SQL projection.
    bool projection() const noexcept { return !database_.connection.empty(); }

    std::string name_;
    std::filesystem::path path_;
    sql::ConnectionSettings database_;
    std::optional<ScriptSchema> schema_;  ///< a projection's, as the check at construction read it
    std::string projection_note_;
    LuaLimits limits_;
    std::size_t max_script_bytes_;
    rapidjson::Document options_;  // read-only after construction: shared by instances
    std::atomic<std::uint64_t> loaded_hash_{0};
};

}  // namespace fanout::daemon::lua
