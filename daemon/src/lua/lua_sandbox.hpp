#pragma once
// The libraries a Fanout script may use, and nothing else.
#include <lua.hpp>

namespace fanout::daemon::lua {

/// Open base (without load, loadstring, dofile, loadfile, require,
/// collectgarbage and the raw* functions), string (without dump), table,
/// math, utf8, and os with time/date/clock only. No io, debug or package.
/// The string metatable is hidden from getmetatable.
///
/// Raises on allocation failure: call in protected mode.
void open_sandbox(lua_State* L);

}  // namespace fanout::daemon::lua
