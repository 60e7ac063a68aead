#include "lua/lua_state.hpp"

#include <cstdlib>
#include <stdexcept>

namespace fanout::daemon::lua {
namespace {

// Hook granularity: small enough to stop a loop promptly, large enough that
// the hook costs little (NOTES.md: +20-40% per call at this setting).
constexpr int k_hook_interval = 1000;

struct StringView {
    const char* data;
    std::size_t size;
};

int push_string_fn(lua_State* L) {
    const auto* text = static_cast<const StringView*>(lua_touserdata(L, 1));
    lua_pushlstring(L, text->data, text->size);
    return 1;
}

}  // namespace

LuaState::LuaState(LuaLimits limits) : limits_(limits) {
    L_ = lua_newstate(&LuaState::allocate, this);
    if (L_ == nullptr) throw std::runtime_error("cannot create a Lua state (memory limit too small?)");
    *static_cast<LuaState**>(lua_getextraspace(L_)) = this;
    lua_setwarnf(L_, &LuaState::warn, this);
    lua_sethook(L_, &LuaState::count_hook, LUA_MASKCOUNT, k_hook_interval);
}

LuaState::~LuaState() {
    // __gc metamethods run during lua_close: give them a budget of their own.
    begin_call();
    lua_close(L_);
}

void LuaState::begin_call() noexcept {
    executed_ = 0;
    memory_exceeded_ = false;
    budget_exceeded_ = false;
    lua_sethook(L_, &LuaState::count_hook, LUA_MASKCOUNT, k_hook_interval);
}

int LuaState::protect(lua_CFunction fn, void* ud) noexcept {
    // Light C functions and light userdata do not allocate: these pushes
    // cannot raise outside protected mode.
    lua_pushcfunction(L_, fn);
    lua_pushlightuserdata(L_, ud);
    return lua_pcall(L_, 1, 0, 0);
}

void* LuaState::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
    auto* self = static_cast<LuaState*>(ud);
    // With ptr == NULL, osize carries the kind of object, not a size.
    const std::size_t old = ptr == nullptr ? 0 : osize;
    if (nsize == 0) {
        std::free(ptr);
        self->used_ -= old;
        return nullptr;
    }
    // Lua assumes shrinking never fails; refuse growth only.
    if (nsize > old && self->used_ - old + nsize > self->limits_.memory_bytes) {
        self->memory_exceeded_ = true;
        return nullptr;
    }
    void* p = std::realloc(ptr, nsize);
    if (p == nullptr) return nullptr;
    self->used_ = self->used_ - old + nsize;
    return p;
}

void LuaState::count_hook(lua_State* L, lua_Debug*) {
    LuaState& self = of(L);
    self.executed_ += k_hook_interval;
    if (self.executed_ <= self.limits_.instructions) return;
    self.budget_exceeded_ = true;
    // From now on fire on every instruction: a pcall inside the script can
    // catch one error, but the next instruction of its caller raises again.
    lua_sethook(L, &LuaState::count_hook, LUA_MASKCOUNT, 1);
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget exceeded (%I instructions per call)",
                    static_cast<lua_Integer>(self.limits_.instructions));
    lua_concat(L, 2);
    lua_error(L);
}

void LuaState::warn(void* ud, const char* message, int tocont) {
    auto* self = static_cast<LuaState*>(ud);
    try {
        // "@on"/"@off" are control messages for the stand-alone interpreter.
        if (!self->warning_continues_ && !tocont && message[0] == '@') return;
        self->warning_ += message;
        self->warning_continues_ = tocont != 0;
        if (tocont) return;
        if (self->warning_sink_) self->warning_sink_(self->warning_);
        self->warning_.clear();
    } catch (...) {
        self->warning_.clear();
        self->warning_continues_ = false;
    }
}

std::string LuaState::describe_error(int status, int index) const {
    std::string text = error_text(L_, index);
    if (status == LUA_ERRMEM || (memory_exceeded_ && text == "not enough memory")) {
        return "memory limit exceeded (" + std::to_string(limits_.memory_bytes >> 20) + " MiB)";
    }
    return text;
}

std::string error_text(lua_State* L, int index) {
    switch (lua_type(L, index)) {
        case LUA_TSTRING: {
            std::size_t n = 0;
            const char* s = lua_tolstring(L, index, &n);
            return {s, n};
        }
        case LUA_TNUMBER:
            // lua_tolstring would convert in place, which allocates.
            if (lua_isinteger(L, index)) return std::to_string(lua_tointeger(L, index));
            return std::to_string(lua_tonumber(L, index));
        case LUA_TNONE:
        case LUA_TNIL: return "error with no message";
        default: return std::string("error object is a ") + luaL_typename(L, index) + " value";
    }
}

int push_string_protected(lua_State* L, std::string_view text) noexcept {
    StringView view{text.data(), text.size()};
    lua_pushcfunction(L, &push_string_fn);
    lua_pushlightuserdata(L, &view);
    return lua_pcall(L, 1, 1, 0);
}

}  // namespace fanout::daemon::lua
