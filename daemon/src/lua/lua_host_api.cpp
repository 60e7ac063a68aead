#include "lua/lua_host_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>

#include "lua/lua_event.hpp"
#include "lua/lua_json.hpp"
#include "lua/lua_state.hpp"

namespace fanout::daemon::lua {
namespace {

// Error value of fanout.reject(): recognised by address, so a script that
// catches it with pcall cannot forge or reword it.
const char k_reject_signal = 0;

constexpr std::size_t k_max_log_bytes = 8192;
constexpr std::size_t k_max_metric_name = 128;

LuaHost& host_of(lua_State* L) { return *static_cast<LuaHost*>(lua_touserdata(L, lua_upvalueindex(1))); }

[[noreturn]] void raise_no_memory(lua_State* L) {
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
    __builtin_unreachable();
}

int log_message(lua_State* L) {
    LuaHost& host = host_of(L);
    const auto level = static_cast<LogLevel>(lua_tointeger(L, lua_upvalueindex(2)));
    Logger& logger = host.context().logger();
    if (!logger.enabled(level)) return 0;
    const int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        if (i > 1) luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    std::size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    try {
        logger.log(level, std::string_view(text, std::min(len, k_max_log_bytes)));
    } catch (...) {
        // A lost log line must not fail the event.
    }
    return 0;
}

template <typename Metric>
Metric& metric(lua_State* L, Metric& (Context::*make)(std::string_view)) {
    LuaHost& host = host_of(L);
    std::size_t n = 0;
    const char* name = luaL_checklstring(L, 1, &n);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TLIGHTUSERDATA) {
        auto* cached = static_cast<Metric*>(lua_touserdata(L, -1));
        lua_pop(L, 1);
        return *cached;
    }
    lua_pop(L, 1);
    luaL_argcheck(L, n > 0 && n <= k_max_metric_name, 1, "metric names are 1 to 128 characters");
    if (!host.reserve_metric()) {
        luaL_error(L, "too many distinct metric names (at most %d per script)",
                   static_cast<int>(LuaHost::k_max_metrics));
    }
    Metric* made = nullptr;
    try {
        // Exported names allow [a-zA-Z0-9_] only.
        std::string clean(name, n);
        for (char& c : clean) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (!ok) c = '_';
        }
        made = &(host.context().*make)(clean);
    } catch (...) {
    }
    if (made == nullptr) raise_no_memory(L);
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, made);
    lua_rawset(L, lua_upvalueindex(2));
    return *made;
}

int counter_add(lua_State* L) {
    const lua_Integer n = luaL_optinteger(L, 2, 1);
    luaL_argcheck(L, n >= 0, 2, "counters only go up");
    metric<Counter>(L, &Context::counter).add(static_cast<std::uint64_t>(n));
    return 0;
}

int gauge_set(lua_State* L) {
    const lua_Number value = luaL_checknumber(L, 2);
    metric<Gauge>(L, &Context::gauge).set(static_cast<double>(value));
    return 0;
}

int fanout_emit(lua_State* L) {
    LuaHost& host = host_of(L);
    return emit_from_lua(L, host, 1, host.call_first(), host.call_count());
}

int fanout_reject(lua_State* L) {
    LuaHost& host = host_of(L);
    if (host.kind() == CallKind::batch) {
        return luaL_error(L, "fanout.reject() inside on_batch: call events[i]:reject(reason) instead");
    }
    if (host.kind() != CallKind::event) return luaL_error(L, "fanout.reject() is only available in on_event");
    const char* reason = luaL_optstring(L, 1, "rejected by the script");
    bool ok = true;
    try {
        host.request_reject(reason);
    } catch (...) {
        ok = false;
    }
    if (!ok) raise_no_memory(L);
    lua_pushlightuserdata(L, const_cast<char*>(&k_reject_signal));
    return lua_error(L);
}

int fanout_time(lua_State* L) {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    lua_pushnumber(L, std::chrono::duration<double>(since_epoch).count());
    return 1;
}

int fanout_now_ms(lua_State* L) {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    lua_pushinteger(L, std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
    return 1;
}

int json_encode(lua_State* L) {
    luaL_checkany(L, 1);
    const int top = lua_gettop(L);
    char error[256] = "not enough memory";
    bool encoded = false;
    int status = LUA_OK;
    {
        std::string out, why;
        try {
            encoded = encode_json(L, 1, out, why, &encode_event_data);
            if (!encoded) std::snprintf(error, sizeof error, "%s", why.c_str());
        } catch (...) {
        }
        lua_settop(L, top);  // an exception may have left traversal values behind
        if (encoded) status = push_string_protected(L, out);
    }
    if (!encoded) return luaL_error(L, "fanout.json.encode: %s", error);
    if (status != LUA_OK) return lua_error(L);
    return 1;
}

int json_decode(lua_State* L) {
    std::size_t n = 0;
    const char* text = luaL_checklstring(L, 1, &n);
    const int status = push_decoded(L, {text, n});
    if (status == LUA_OK) return 1;
    const char* message = lua_tostring(L, -1);
    return luaL_error(L, "fanout.json.decode: %s", message != nullptr ? message : "failed");
}

enum class EmitResult { ok, too_large, encode_failed, no_memory };

// Owns C++ strings: uses only Lua functions that never raise.
EmitResult buffer_emit(lua_State* L, LuaHost& host, int arg, std::size_t first, std::size_t count, char (&error)[256]) {
    const int top = lua_gettop(L);
    try {
        PendingEmit emit;
        std::size_t n = 0;
        const char* s = lua_tolstring(L, arg, &n);
        emit.topic.assign(s, n);
        s = lua_tolstring(L, arg + 1, &n);
        emit.key.assign(s, n);
        if (lua_type(L, arg + 2) == LUA_TSTRING) {
            s = lua_tolstring(L, arg + 2, &n);
            emit.value.assign(s, n);
        } else {
            std::string why;
            if (!encode_json(L, arg + 2, emit.value, why, &encode_event_data)) {
                std::snprintf(error, sizeof error, "%s", why.c_str());
                lua_settop(L, top);
                return EmitResult::encode_failed;
            }
        }
        if (lua_type(L, arg + 3) == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, arg + 3) != 0) {
                std::size_t kn = 0, vn = 0;
                const char* k = lua_tolstring(L, -2, &kn);
                const char* v = lua_tolstring(L, -1, &vn);
                emit.headers.emplace_back(std::string(k, kn), std::string(v, vn));
                lua_pop(L, 1);
            }
        }
        emit.first = first;
        emit.count = count;
        return host.add_emit(std::move(emit)) ? EmitResult::ok : EmitResult::too_large;
    } catch (...) {
        lua_settop(L, top);
        return EmitResult::no_memory;
    }
}

}  // namespace

int emit_from_lua(lua_State* L, LuaHost& host, int arg, std::size_t first, std::size_t count) {
    if (host.projection()) {
        return luaL_error(L,
                          "fanout.emit is not available in a SQL projection (lua.connection): its records could not "
                          "be sent in the projection's transaction; write them to a table instead");
    }
    if (!host.handling_events()) {
        return luaL_error(L, "fanout.emit is only available while handling events (on_event, on_batch)");
    }
    std::size_t topic_size = 0;
    luaL_checklstring(L, arg, &topic_size);
    luaL_argcheck(L, topic_size > 0, arg, "empty topic");
    luaL_checkstring(L, arg + 1);
    const int value_type = lua_type(L, arg + 2);
    luaL_argexpected(L, value_type == LUA_TSTRING || value_type == LUA_TTABLE, arg + 2, "string or table");
    if (!lua_isnoneornil(L, arg + 3)) {
        luaL_checktype(L, arg + 3, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, arg + 3) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
                return luaL_error(L, "fanout.emit: headers must map strings to strings");
            }
            lua_pop(L, 1);
        }
    }
    char error[256] = "";
    switch (buffer_emit(L, host, arg, first, count, error)) {
        case EmitResult::ok: return 0;
        case EmitResult::too_large:
            return luaL_error(L, "fanout.emit: too much buffered in one call (limit: the script's memory limit)");
        case EmitResult::encode_failed: return luaL_error(L, "fanout.emit: %s", error);
        case EmitResult::no_memory: raise_no_memory(L);
    }
    return 0;
}

namespace {

/// The rows of a query as an array of tables (column name -> value; NULL
/// columns are absent). May raise (memory): its frame holds no C++ objects.
int push_rows(lua_State* L, const QueryRows& rows) {
    const std::size_t width = rows.columns.size();
    const std::size_t count = width == 0 ? 0 : rows.cells.size() / width;
    lua_createtable(L, static_cast<int>(std::min<std::size_t>(count, 1u << 20)), 0);
    for (std::size_t r = 0; r < count; ++r) {
        lua_createtable(L, 0, static_cast<int>(width));
        for (std::size_t c = 0; c < width; ++c) {
            const QueryRows::Cell& cell = rows.cells[r * width + c];
            switch (cell.kind) {
                case QueryRows::Cell::Kind::null: continue;
                case QueryRows::Cell::Kind::integer: lua_pushinteger(L, static_cast<lua_Integer>(cell.integer)); break;
                case QueryRows::Cell::Kind::number: lua_pushnumber(L, cell.number); break;
                case QueryRows::Cell::Kind::boolean: lua_pushboolean(L, cell.integer != 0); break;
                case QueryRows::Cell::Kind::text: lua_pushlstring(L, cell.text.data(), cell.text.size()); break;
            }
            lua_setfield(L, -2, rows.columns[c].c_str());
        }
        lua_rawseti(L, -2, static_cast<lua_Integer>(r + 1));
    }
    return 1;
}

/// fanout.sql.exec(sql, params) and fanout.sql.query(sql, params).
int sql_call(lua_State* L, bool query) {
    LuaHost& host = host_of(L);
    const char* name = query ? "query" : "exec";
    if (host.sql() == nullptr && !host.projection()) {
        return luaL_error(L, "fanout.sql.%s needs a database: set lua.connection in the plugin's entry", name);
    }
    if (host.kind() != CallKind::event || host.sql() == nullptr) {
        return luaL_error(L, "fanout.sql.%s is only available in on_event", name);
    }
    std::size_t size = 0;
    const char* sql = luaL_checklstring(L, 1, &size);
    int params = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        params = 2;
    }
    luaL_where(L, 1);
    std::size_t where_size = 0;
    const char* where = lua_tolstring(L, -1, &where_size);
    const ScriptSql::Status status =
        host.sql()->call(L, std::string_view(sql, size), params, query, host.call_first(), {where, where_size});
    if (status != ScriptSql::Status::ok) {
        const std::string& error = host.sql()->error();
        lua_pushlstring(L, error.data(), error.size());
        return lua_error(L);
    }
    lua_pop(L, 1);
    return query ? push_rows(L, host.sql()->rows()) : 0;
}

int sql_exec(lua_State* L) { return sql_call(L, false); }
int sql_query(lua_State* L) { return sql_call(L, true); }

}  // namespace

bool is_reject_signal(lua_State* L, int index) noexcept {
    return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == &k_reject_signal;
}

void open_host_api(lua_State* L, LuaHost& host) {
    lua_createtable(L, 0, 10);

    const luaL_Reg functions[] = {
        {"emit", &fanout_emit},     {"reject", &fanout_reject}, {"time", &fanout_time},
        {"now_ms", &fanout_now_ms}, {nullptr, nullptr},
    };
    lua_pushlightuserdata(L, &host);
    luaL_setfuncs(L, functions, 1);

    // Metrics: the second upvalue caches name -> Counter*/Gauge*, so a call
    // is one table lookup instead of a locked registry search.
    lua_pushlightuserdata(L, &host);
    lua_newtable(L);
    lua_pushcclosure(L, &counter_add, 2);
    lua_setfield(L, -2, "counter");
    lua_pushlightuserdata(L, &host);
    lua_newtable(L);
    lua_pushcclosure(L, &gauge_set, 2);
    lua_setfield(L, -2, "gauge");

    const std::pair<const char*, LogLevel> levels[] = {
        {"debug", LogLevel::debug},     {"info", LogLevel::info},   {"warn", LogLevel::warning},
        {"warning", LogLevel::warning}, {"error", LogLevel::error},
    };
    lua_createtable(L, 0, static_cast<int>(std::size(levels)));
    for (const auto& [name, level] : levels) {
        lua_pushlightuserdata(L, &host);
        lua_pushinteger(L, static_cast<lua_Integer>(level));
        lua_pushcclosure(L, &log_message, 2);
        lua_setfield(L, -2, name);
    }
    lua_setfield(L, -2, "log");

    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, &json_encode);
    lua_setfield(L, -2, "encode");
    lua_pushcfunction(L, &json_decode);
    lua_setfield(L, -2, "decode");
    lua_pushlightuserdata(L, nullptr);
    lua_setfield(L, -2, "null");
    lua_setfield(L, -2, "json");

    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, &host);
    lua_pushcclosure(L, &sql_exec, 1);
    lua_setfield(L, -2, "exec");
    lua_pushlightuserdata(L, &host);
    lua_pushcclosure(L, &sql_query, 1);
    lua_setfield(L, -2, "query");
    lua_setfield(L, -2, "sql");

    const std::string_view name = host.context().plugin_name();
    lua_pushlstring(L, name.data(), name.size());
    lua_setfield(L, -2, "plugin");

    lua_setglobal(L, "fanout");

    lua_pushlightuserdata(L, &host);
    lua_pushinteger(L, static_cast<lua_Integer>(LogLevel::info));
    lua_pushcclosure(L, &log_message, 2);
    lua_setglobal(L, "print");
}

}  // namespace fanout::daemon::lua
