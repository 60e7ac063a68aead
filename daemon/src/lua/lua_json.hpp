#pragma once
// JSON <-> Lua values (fanout.json, event.data), and YAML options as JSON.
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>
#include <lua.hpp>

namespace fanout::daemon::lua {

/// Nesting deeper than this is refused both ways (cycles end here too).
inline constexpr int k_json_max_depth = 100;

/// Push `value` as Lua: objects and arrays become tables, JSON null the
/// fanout.json.null sentinel (a NULL light userdata). Raises (memory,
/// depth): call in protected mode with `value` owned by a frame outside.
void push_json(lua_State* L, const rapidjson::Value& value);

/// Parse `text` and push the result. Never raises: returns a Lua status,
/// with the value or an error message on the stack.
int push_decoded(lua_State* L, std::string_view text) noexcept;

/// Parse the JSON object `object_text` and push its member `member` (nil
/// when absent or null). Same contract as push_decoded().
int push_decoded_member(lua_State* L, std::string_view object_text, std::string_view member) noexcept;

/// Appends a userdata's JSON to `out` and returns true, or returns false
/// when it does not know that userdata.
using UserdataEncoder = bool (*)(lua_State* L, int index, std::string& out);

/// Encode the value at `index` as compact JSON into `out`. A table whose keys
/// are exactly 1..n is an array, any other non-empty table an object (number
/// keys written as strings); an empty table is `{}`. Never raises a Lua error
/// and runs no script code; may throw std::bad_alloc. On failure returns
/// false with `error` set (functions, NaN, nesting, ...).
bool encode_json(lua_State* L, int index, std::string& out, std::string& error, UserdataEncoder userdata = nullptr);

/// Plugin options from YAML: quoted scalars are strings; plain ones are
/// booleans (true/false), integers, numbers or strings; null is dropped.
rapidjson::Document yaml_to_json(const YAML::Node& node);

}  // namespace fanout::daemon::lua
