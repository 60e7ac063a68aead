#pragma once
// One lua_State with a memory cap and a per-call instruction budget.
//
// Lua is built as C: its errors are longjmp, not exceptions. Every Lua API
// call that may raise (anything that allocates) runs inside protect(), and a
// frame that a longjmp may cross holds no object with a destructor.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <lua.hpp>

namespace fanout::daemon::lua {

struct LuaLimits {
    std::size_t memory_bytes = 64u << 20;
    std::uint64_t instructions = 10'000'000;  ///< per call into the script
};

/// Owns a lua_State. Threading: one thread at a time (the pipeline's).
/// Not movable: the allocator, the hook and the warning function find this
/// object by address.
class LuaState {
public:
    /// Throws std::runtime_error when the state cannot be created.
    explicit LuaState(LuaLimits limits);
    ~LuaState();

    LuaState(const LuaState&) = delete;
    LuaState& operator=(const LuaState&) = delete;

    lua_State* get() const noexcept { return L_; }
    const LuaLimits& limits() const noexcept { return limits_; }
    std::size_t memory_used() const noexcept { return used_; }

    /// Start a call into script code: a fresh instruction budget.
    void begin_call() noexcept;
    /// Whether the allocator refused memory / the budget ran out since begin_call().
    bool memory_exceeded() const noexcept { return memory_exceeded_; }
    bool budget_exceeded() const noexcept { return budget_exceeded_; }

    /// Run `fn` in protected mode with `ud` as its only argument (a light
    /// userdata). Returns the Lua status; on error the error value is left on
    /// the stack (read it with error_text(), then pop it).
    int protect(lua_CFunction fn, void* ud) noexcept;

    /// Where `warn(...)` and errors in __gc metamethods go.
    void set_warning_sink(std::function<void(std::string_view)> sink) { warning_sink_ = std::move(sink); }

    /// A failed call's message: Lua's text, or a description of the limit
    /// that stopped it. Consumes nothing; runs no script code.
    std::string describe_error(int status, int index) const;

    static LuaState& of(lua_State* L) noexcept { return **static_cast<LuaState**>(lua_getextraspace(L)); }

private:
    static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept;
    static void count_hook(lua_State* L, lua_Debug* ar);
    static void warn(void* ud, const char* message, int tocont);

    LuaLimits limits_;
    std::size_t used_ = 0;
    std::uint64_t executed_ = 0;
    bool memory_exceeded_ = false;
    bool budget_exceeded_ = false;
    std::string warning_;
    bool warning_continues_ = false;
    std::function<void(std::string_view)> warning_sink_;
    lua_State* L_ = nullptr;
};

/// The value at `index` as text without running script code (no __tostring).
std::string error_text(lua_State* L, int index);

/// Copy `text` to a new Lua string on the stack. For callers that hold C++
/// objects: a memory error is returned as a status (message on the stack)
/// instead of a longjmp through their frame.
int push_string_protected(lua_State* L, std::string_view text) noexcept;

/// The string at `index` into `to`, without raising: false when out of
/// memory. For readers that copy a script's values out of a protected call.
inline bool copy_lua_string(std::string& to, lua_State* L, int index) noexcept {
    std::size_t size = 0;
    const char* text = lua_tolstring(L, index, &size);
    try {
        to.assign(text, size);
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace fanout::daemon::lua
