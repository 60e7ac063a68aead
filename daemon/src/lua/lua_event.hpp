#pragma once
// The event object a script receives: a userdata over a fanout::Event.
//
// Fields are read on access (event.data.author looks up one JSON field; no
// table per event). An event object is valid only during the call it was
// passed to: afterwards every access raises.
#include <cstddef>
#include <string>

#include <lua.hpp>

#include "lua/lua_host.hpp"

namespace fanout::daemon::lua {

/// Create the metatables (once per state; raises: protected mode).
void open_event_types(lua_State* L);

/// Push the object for event `index` of the host's current handle().
/// Raises on allocation failure: protected mode.
void push_event(lua_State* L, LuaHost& host, std::size_t index);

/// Push an array of the objects for events [first, first + count). Same contract.
void push_event_array(lua_State* L, LuaHost& host, std::size_t first, std::size_t count);

/// UserdataEncoder for fanout.json.encode(event.data): the data object's JSON.
bool encode_event_data(lua_State* L, int index, std::string& out);

}  // namespace fanout::daemon::lua
