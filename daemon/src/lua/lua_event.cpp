#include "lua/lua_event.hpp"

#include <algorithm>
#include <cstdio>
#include <span>
#include <string_view>

#include "lua/lua_host_api.hpp"
#include "lua/lua_json.hpp"
#include "lua/lua_state.hpp"

namespace fanout::daemon::lua {
namespace {

// Registry keys (by address): rawgetp is cheaper than a lookup by name.
const char k_event_meta = 0;
const char k_data_meta = 0;

constexpr int k_uv_data = 1;     // the event's cached data proxy
constexpr int k_uv_headers = 2;  // the event's cached headers table

struct EventBox {
    const Event* event;  // dangling once stale: never read then
    LuaHost* host;
    std::uint64_t generation;  // host generation of the call it was made for
    std::size_t index;         // position in the host's current handle()
};

struct DataBox {
    EventBox* parent;  // kept alive by the proxy's user value
};

enum Field : int {
    f_type = 1,
    f_aggregate_id,
    f_version,
    f_global_sequence,
    f_key,
    f_topic,
    f_partition,
    f_offset,
    f_timestamp,
    f_occurred_at,
    f_event_id,
    f_headers,
    f_data,
    f_data_json,
    f_payload,
};

constexpr std::pair<const char*, Field> k_fields[] = {
    {"type", f_type},
    {"aggregate_id", f_aggregate_id},
    {"version", f_version},
    {"global_sequence", f_global_sequence},
    {"key", f_key},
    {"topic", f_topic},
    {"partition", f_partition},
    {"offset", f_offset},
    {"timestamp", f_timestamp},
    {"occurred_at", f_occurred_at},
    {"event_id", f_event_id},
    {"headers", f_headers},
    {"data", f_data},
    {"data_json", f_data_json},
    {"payload", f_payload},
};

bool is_live(const EventBox& box) noexcept {
    return box.generation == box.host->generation() && box.host->handling_events();
}

[[noreturn]] void raise_stale(lua_State* L) {
    luaL_error(L, "event used after the call it was passed to returned (keep copies of its fields, not the event)");
    __builtin_unreachable();
}

[[noreturn]] void raise_no_memory(lua_State* L) {
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
    __builtin_unreachable();
}

bool has_meta(lua_State* L, int index, const void* key) noexcept {
    if (!lua_getmetatable(L, index)) return false;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    const bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

EventBox& check_live_event(lua_State* L, int index) {
    if (lua_type(L, index) != LUA_TUSERDATA || !has_meta(L, index, &k_event_meta)) luaL_typeerror(L, index, "event");
    auto* box = static_cast<EventBox*>(lua_touserdata(L, index));
    if (!is_live(*box)) raise_stale(L);
    return *box;
}

struct Scalar {
    enum Kind { nil, string, integer } kind = nil;
    std::string_view text;
    std::int64_t number = 0;
};

Scalar read_scalar(const Event& e, int field) {
    switch (field) {
        case f_type: return {Scalar::string, e.type()};
        case f_aggregate_id: return {Scalar::string, e.aggregate_id()};
        case f_version: return {Scalar::integer, {}, e.version()};
        case f_global_sequence: return {Scalar::integer, {}, e.global_sequence()};
        case f_key: return {Scalar::string, e.key()};
        case f_topic: return {Scalar::string, e.topic()};
        case f_partition: return {Scalar::integer, {}, e.partition()};
        case f_offset: return {Scalar::integer, {}, e.offset()};
        case f_timestamp: {
            const std::int64_t ms = e.occurred_at_ms();
            return ms < 0 ? Scalar{} : Scalar{Scalar::integer, {}, ms};
        }
        case f_occurred_at: return {Scalar::string, e.occurred_at()};
        case f_event_id: return {Scalar::string, e.event_id()};
        case f_payload: return {Scalar::string, e.payload()};
        default: return {};
    }
}

// The JSON string lives in this frame; it reaches Lua through a protected push.
// Reads the data object's JSON into a frame of its own and hands it to
// `push` (a never-raising pusher); raises only after that frame is gone.
template <typename Push>
int push_from_data_json(lua_State* L, const Event& e, Push push) {
    bool read = false;
    int status = LUA_OK;
    {
        std::string json;
        try {
            json = e.data().json();
            read = true;
        } catch (...) {
        }
        if (read) status = push(json);
    }
    if (!read) raise_no_memory(L);
    if (status != LUA_OK) lua_error(L);
    return 1;
}

int push_data_json(lua_State* L, const Event& e) {
    return push_from_data_json(L, e, [L](const std::string& json) { return push_string_protected(L, json); });
}

int push_headers(lua_State* L, EventBox& box) {
    if (lua_getiuservalue(L, 1, k_uv_headers) == LUA_TTABLE) return 1;
    lua_pop(L, 1);
    std::span<const Header> headers;
    bool ok = true;
    try {
        headers = box.event->headers();
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    lua_createtable(L, 0, static_cast<int>(headers.size()));
    // Backwards, so the first header of a repeated name wins (like Event::header()).
    for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
        lua_pushlstring(L, it->name.data(), it->name.size());
        lua_pushlstring(L, it->value.data(), it->value.size());
        lua_rawset(L, -3);
    }
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, k_uv_headers);
    return 1;
}

int push_data_proxy(lua_State* L, EventBox& box) {
    if (lua_getiuservalue(L, 1, k_uv_data) == LUA_TUSERDATA) return 1;
    lua_pop(L, 1);
    auto* data = static_cast<DataBox*>(lua_newuserdatauv(L, sizeof(DataBox), 1));
    data->parent = &box;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_data_meta);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, k_uv_data);
    return 1;
}

int event_index(lua_State* L) {
    // Only reachable as the metamethod (__metatable hides it): arg 1 is an event.
    auto* box = static_cast<EventBox*>(lua_touserdata(L, 1));
    if (!is_live(*box)) raise_stale(L);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) return 1;  // a method, or nil
    const int field = static_cast<int>(lua_tointeger(L, -1));
    if (field == f_headers) return push_headers(L, *box);
    if (field == f_data) return push_data_proxy(L, *box);
    if (field == f_data_json) return push_data_json(L, *box->event);
    Scalar value;
    bool ok = true;
    try {
        value = read_scalar(*box->event, field);
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    switch (value.kind) {
        case Scalar::string: lua_pushlstring(L, value.text.data(), value.text.size()); break;
        case Scalar::integer: lua_pushinteger(L, static_cast<lua_Integer>(value.number)); break;
        case Scalar::nil: lua_pushnil(L); break;
    }
    return 1;
}

int read_only(lua_State* L) { return luaL_error(L, "events are read-only"); }

int event_tostring(lua_State* L) {
    auto* box = static_cast<EventBox*>(lua_touserdata(L, 1));
    if (!is_live(*box)) {
        lua_pushliteral(L, "event (stale)");
        return 1;
    }
    char text[256];
    bool ok = true;
    try {
        const std::string_view type = box->event->type(), topic = box->event->topic();
        std::snprintf(text, sizeof text, "event(%.*s %.*s[%d]@%lld)",
                      static_cast<int>(std::min<std::size_t>(type.size(), 80)), type.data(),
                      static_cast<int>(std::min<std::size_t>(topic.size(), 120)), topic.data(),
                      static_cast<int>(box->event->partition()), static_cast<long long>(box->event->offset()));
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    lua_pushstring(L, text);
    return 1;
}

int set_outcome(lua_State* L, Outcome::Kind kind, const char* default_reason) {
    EventBox& box = check_live_event(L, 1);
    const char* reason = luaL_optstring(L, 2, default_reason);
    bool ok = true;
    try {
        box.host->outcomes()[box.index] =
            kind == Outcome::Kind::reject ? Outcome::reject(reason) : Outcome::retry_later(reason);
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    return 0;
}

int event_reject(lua_State* L) { return set_outcome(L, Outcome::Kind::reject, "rejected by the script"); }
int event_retry(lua_State* L) { return set_outcome(L, Outcome::Kind::retry_later, "retry requested by the script"); }

int event_emit(lua_State* L) {
    EventBox& box = check_live_event(L, 1);
    return emit_from_lua(L, *box.host, 2, box.index, 1);
}

DataBox& live_data(lua_State* L) {
    auto* data = static_cast<DataBox*>(lua_touserdata(L, 1));
    if (!is_live(*data->parent)) raise_stale(L);
    return *data;
}

int push_nested_member(lua_State* L, const Event& e, std::string_view key) {
    return push_from_data_json(L, e, [L, key](const std::string& json) { return push_decoded_member(L, json, key); });
}

int data_index(lua_State* L) {
    DataBox& data = live_data(L);
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    std::size_t n = 0;
    const char* k = lua_tolstring(L, 2, &n);
    const std::string_view key(k, n);
    enum { absent, string, integer, number, boolean, nested } kind = absent;
    std::string_view s;
    std::int64_t i = 0;
    double d = 0;
    bool b = false, ok = true;
    try {
        const DataView& view = data.parent->event->data();
        if (auto v = view.string(key)) {
            kind = string;
            s = *v;
        } else if (auto iv = view.integer(key)) {
            kind = integer;
            i = *iv;
        } else if (auto dv = view.number(key)) {
            kind = number;
            d = *dv;
        } else if (auto bv = view.boolean(key)) {
            kind = boolean;
            b = *bv;
        } else if (view.has(key)) {
            kind = nested;
        }
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    switch (kind) {
        case absent: return 0;
        case string: lua_pushlstring(L, s.data(), s.size()); return 1;
        case integer: lua_pushinteger(L, static_cast<lua_Integer>(i)); return 1;
        case number: lua_pushnumber(L, d); return 1;
        case boolean: lua_pushboolean(L, b); return 1;
        case nested: return push_nested_member(L, *data.parent->event, key);
    }
    return 0;
}

int table_next(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1) != 0) return 2;
    lua_pushnil(L);
    return 1;
}

int data_pairs(lua_State* L) {
    DataBox& data = live_data(L);
    lua_pushcfunction(L, &table_next);
    push_from_data_json(L, *data.parent->event, [L](const std::string& json) { return push_decoded(L, json); });
    lua_pushnil(L);
    return 3;
}

int data_tostring(lua_State* L) {
    DataBox& data = live_data(L);
    return push_data_json(L, *data.parent->event);
}

void new_metatable(lua_State* L, const char* name, const void* key, const luaL_Reg* methods) {
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, methods, 0);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

}  // namespace

void open_event_types(lua_State* L) {
    const luaL_Reg event_methods[] = {
        {"__newindex", &read_only},
        {"__tostring", &event_tostring},
        {nullptr, nullptr},
    };
    new_metatable(L, "fanout.event", &k_event_meta, event_methods);
    // __index with one upvalue: field name -> code, method name -> function.
    lua_createtable(L, 0, static_cast<int>(std::size(k_fields)) + 3);
    for (const auto& [name, field] : k_fields) {
        lua_pushinteger(L, field);
        lua_setfield(L, -2, name);
    }
    const luaL_Reg methods[] = {
        {"reject", &event_reject}, {"retry", &event_retry}, {"emit", &event_emit}, {nullptr, nullptr}};
    luaL_setfuncs(L, methods, 0);
    lua_pushcclosure(L, &event_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    const luaL_Reg data_methods[] = {
        {"__index", &data_index},       {"__newindex", &read_only}, {"__pairs", &data_pairs},
        {"__tostring", &data_tostring}, {nullptr, nullptr},
    };
    new_metatable(L, "fanout.event.data", &k_data_meta, data_methods);
    lua_pop(L, 1);
}

namespace {

void push_box(lua_State* L, LuaHost& host, std::size_t index, int metatable) {
    auto* box = static_cast<EventBox*>(lua_newuserdatauv(L, sizeof(EventBox), 2));
    *box = EventBox{host.events()[index], &host, host.generation(), index};
    lua_pushvalue(L, metatable);
    lua_setmetatable(L, -2);
}

}  // namespace

void push_event(lua_State* L, LuaHost& host, std::size_t index) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_event_meta);
    push_box(L, host, index, lua_gettop(L));
    lua_remove(L, -2);
}

void push_event_array(lua_State* L, LuaHost& host, std::size_t first, std::size_t count) {
    lua_createtable(L, static_cast<int>(count), 0);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_event_meta);
    const int metatable = lua_gettop(L);
    for (std::size_t i = 0; i < count; ++i) {
        push_box(L, host, first + i, metatable);
        lua_rawseti(L, -3, static_cast<lua_Integer>(i + 1));
    }
    lua_pop(L, 1);
}

bool encode_event_data(lua_State* L, int index, std::string& out) {
    if (!has_meta(L, index, &k_data_meta)) return false;
    const auto* data = static_cast<const DataBox*>(lua_touserdata(L, index));
    if (!is_live(*data->parent)) return false;
    out += data->parent->event->data().json();
    return true;
}

}  // namespace fanout::daemon::lua
