#include "lua/lua_sandbox.hpp"

#include <iterator>

namespace fanout::daemon::lua {
namespace {

// Globals of the base library a script must not reach: code loading (text
// or bytecode), the collector's controls, and the raw* functions that
// bypass the __index/__newindex/__metatable guards of host objects. print
// writes to stdout; the host API puts it back as a logger.
constexpr const char* k_removed_globals[] = {
    "load",   "loadstring", "dofile",   "loadfile", "require", "collectgarbage",
    "rawget", "rawset",     "rawequal", "rawlen",   "print",
};

constexpr const char* k_os_kept[] = {"time", "date", "clock"};

// Lua runs two kinds of script code with hooks off, out of the instruction
// budget's reach: the message handler of an error raised inside a hook (our
// budget error), and __gc metamethods. This xpcall calls the handler as a
// plain function after the protected call returned; setmetatable refuses
// __gc (Lua marks an object for finalization only when setmetatable sees it).
int safe_xpcall(lua_State* L) {
    const int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkstack(L, n + 2, "too many arguments");
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; ++i) lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

int safe_setmetatable(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        const bool finalizer = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (finalizer) return luaL_error(L, "__gc metamethods are not available to scripts");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

}  // namespace

void open_sandbox(lua_State* L) {
    const luaL_Reg libraries[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    for (const luaL_Reg& lib : libraries) {
        luaL_requiref(L, lib.name, lib.func, 1);
        lua_pop(L, 1);
    }

    // os: a fresh table holding only the clock functions (no execute, exit,
    // getenv, remove, rename, tmpname, setlocale).
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, static_cast<int>(std::size(k_os_kept)));
    for (const char* name : k_os_kept) {
        lua_getfield(L, -2, name);
        lua_setfield(L, -2, name);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, LUA_OSLIBNAME);
    lua_pop(L, 1);
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_pushcfunction(L, &safe_xpcall);
    lua_setglobal(L, "xpcall");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, &safe_setmetatable, 1);
    lua_setglobal(L, "setmetatable");

    for (const char* name : k_removed_globals) {
        lua_pushnil(L);
        lua_setglobal(L, name);
    }

    // string.dump would hand out bytecode.
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    // Strings share one metatable whose __index is the string library; with
    // __metatable set, getmetatable("") returns false and cannot reach it.
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

}  // namespace fanout::daemon::lua
