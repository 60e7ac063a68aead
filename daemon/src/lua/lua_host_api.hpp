#pragma once
// The `fanout` table: what a script may ask of the host.
#include <cstddef>

#include <lua.hpp>

#include "lua/lua_host.hpp"

namespace fanout::daemon::lua {

/// Install the global `fanout` table (log, counter, gauge, emit, reject,
/// json, time, now_ms, plugin) and `print` (as fanout.log.info).
/// Raises on allocation failure: protected mode.
void open_host_api(lua_State* L, LuaHost& host);

/// fanout.emit / event:emit with (topic, key, value, headers?) from stack
/// index `arg`: buffered for events [first, first + count) of the current
/// handle(). Raises on bad arguments.
int emit_from_lua(lua_State* L, LuaHost& host, int arg, std::size_t first, std::size_t count);

/// True when the error value at `index` is fanout.reject()'s signal.
bool is_reject_signal(lua_State* L, int index) noexcept;

}  // namespace fanout::daemon::lua
