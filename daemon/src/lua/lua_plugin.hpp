#pragma once
// A Lua script as a fanout::Plugin: one sandboxed lua_State per instance,
// so one per pipeline, used only on that pipeline's thread.
//
// Outcomes: a call that returns is done; error(...), the memory cap and the
// instruction budget give retry_later (the pipeline's retry policy then
// dead-letters); fanout.reject(reason) and event:reject(reason) give reject.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

#include "fanout/plugin.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_state.hpp"

namespace fanout::daemon::lua {

struct LuaScript {
    std::filesystem::path path;  ///< its file name names the chunk in messages
    std::string source;
};

/// The script does not compile, its top level fails, or it has no entry point.
class LuaScriptError : public std::runtime_error {
public:
    LuaScriptError(const std::string& message, int line, std::string detail)
        : std::runtime_error(message), line_(line), detail_(std::move(detail)) {}
    /// Line in the script (0 when Lua gave none).
    int line() const noexcept { return line_; }
    /// The message without Lua's `chunk:line: ` prefix.
    const std::string& detail() const noexcept { return detail_; }

private:
    int line_;
    std::string detail_;
};

class LuaPlugin final : public Plugin {
public:
    enum class Start {
        check_only,  ///< compile and run the top level, find the entry points; no init()
        run_init,    ///< ... then init(options): a running instance
    };

    /// Throws LuaScriptError (compile, top level, entry points) or
    /// std::runtime_error (init failed, state not creatable).
    /// `context` must outlive the plugin; `options` is read during the call only.
    /// `projection`: the script runs inside a SQL projection
    /// (lua_projection.hpp): fanout.sql is its database, fanout.emit is refused.
    LuaPlugin(const LuaScript& script, const rapidjson::Value& options, LuaLimits limits, Context& context,
              std::unique_ptr<Emitter> emitter, Start start = Start::run_init, bool projection = false);
    /// Calls on_shutdown() when defined (errors are logged).
    ~LuaPlugin() override;

    LuaPlugin(const LuaPlugin&) = delete;
    LuaPlugin& operator=(const LuaPlugin&) = delete;

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override;

    /// A SQL projection's batch: on_event per event, run by run_event(),
    /// with fanout.sql on `sql`; end_events() ends it (emits are not sent).
    void begin_events(std::span<const Event* const> events, std::span<Outcome> outcomes, ScriptSql& sql) noexcept;
    /// on_event for events[index]; its outcome in outcomes[index].
    void run_event(std::size_t index) { call_event(index); }
    void end_events() noexcept;
    /// Run `fn` (a light userdata `ud` as its argument) in protected mode on
    /// the script's state, e.g. to read a global the script declares. Throws
    /// LuaScriptError with Lua's message.
    void read_script(lua_CFunction fn, void* ud);

    /// True when the script defines on_batch (preferred over on_event).
    bool batched() const noexcept { return on_batch_ != LUA_NOREF; }
    std::size_t memory_used() const noexcept { return state_.memory_used(); }

private:
    void load(const LuaScript& script);
    void resolve_entry_points();
    void run_init(const rapidjson::Value& options);
    void call_event(std::size_t index);
    void call_batch(std::size_t first, std::size_t count);
    std::string pop_error(int status);

    static int setup(lua_State* L);
    static int resolve(lua_State* L);
    static int dispatch_init(lua_State* L);
    static int dispatch_event(lua_State* L);
    static int dispatch_batch(lua_State* L);
    static int dispatch_shutdown(lua_State* L);

    Context& context_;
    Counter& errors_;
    Gauge& memory_;
    std::string chunk_name_;
    // host_ before state_: the state is closed first, and __gc metamethods
    // run during lua_close may still call host functions.
    LuaHost host_;
    LuaState state_;
    int on_event_ = LUA_NOREF;
    int on_batch_ = LUA_NOREF;
    int init_ = LUA_NOREF;
    int on_shutdown_ = LUA_NOREF;
    int entry_types_[4] = {};
    const rapidjson::Value* init_options_ = nullptr;
    bool started_ = false;
};

}  // namespace fanout::daemon::lua
