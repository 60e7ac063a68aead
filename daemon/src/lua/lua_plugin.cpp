#include "lua/lua_plugin.hpp"

#include <cctype>
#include <iterator>

#include <fmt/format.h>

#include "lua/lua_event.hpp"
#include "lua/lua_host_api.hpp"
#include "lua/lua_json.hpp"
#include "lua/lua_sandbox.hpp"

namespace fanout::daemon::lua {
namespace {

constexpr const char* k_entry_names[] = {"on_event", "on_batch", "init", "on_shutdown"};

// Lua prefixes positioned errors with `chunk:line: `; split that off so the
// factory can point at the script's file with its full path.
LuaScriptError script_error(const std::string& chunk, const std::string& message) {
    const std::string prefix = chunk + ":";
    if (message.compare(0, prefix.size(), prefix) == 0) {
        std::size_t end = prefix.size();
        while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
        if (end > prefix.size() && message.compare(end, 2, ": ") == 0) {
            const int line = std::stoi(message.substr(prefix.size(), end - prefix.size()));
            return LuaScriptError(message, line, message.substr(end + 2));
        }
    }
    return LuaScriptError(message, 0, message);
}

}  // namespace

LuaPlugin::LuaPlugin(const LuaScript& script, const rapidjson::Value& options, LuaLimits limits, Context& context,
                     std::unique_ptr<Emitter> emitter, Start start, bool projection)
    : context_(context),
      errors_(context.counter("script_errors")),
      memory_(context.gauge("lua_memory_bytes")),
      chunk_name_(script.path.filename().string()),
      host_(context, std::move(emitter), limits.memory_bytes),
      state_(limits) {
    host_.set_projection(projection);
    state_.set_warning_sink(
        [&context](std::string_view message) { context.logger().warning(fmt::format("script warning: {}", message)); });
    state_.begin_call();
    if (const int status = state_.protect(&LuaPlugin::setup, this); status != LUA_OK) {
        throw std::runtime_error("cannot prepare the Lua state: " + pop_error(status));
    }
    load(script);
    resolve_entry_points();
    if (start == Start::run_init) {
        run_init(options);
        started_ = true;
    }
}

LuaPlugin::~LuaPlugin() {
    if (!started_ || on_shutdown_ == LUA_NOREF) return;
    try {
        state_.begin_call();
        host_.begin_call(CallKind::shutdown);
        const int status = state_.protect(&LuaPlugin::dispatch_shutdown, this);
        host_.end_call();
        if (status != LUA_OK) context_.logger().error("on_shutdown() failed: " + pop_error(status));
    } catch (...) {
        // Destructors do not throw; the state is closed regardless.
    }
}

std::string LuaPlugin::pop_error(int status) {
    std::string message = state_.describe_error(status, -1);
    lua_pop(state_.get(), 1);
    return message;
}

int LuaPlugin::setup(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    open_sandbox(L);
    open_event_types(L);
    open_host_api(L, self->host_);
    return 0;
}

void LuaPlugin::load(const LuaScript& script) {
    lua_State* L = state_.get();
    const std::string chunk = "@" + chunk_name_;
    state_.begin_call();
    host_.begin_call(CallKind::load);
    // "t": text only. Bytecode can crash the VM; it is never loaded.
    int status = luaL_loadbufferx(L, script.source.data(), script.source.size(), chunk.c_str(), "t");
    if (status == LUA_OK) status = lua_pcall(L, 0, 0, 0);
    host_.end_call();
    if (status != LUA_OK) throw script_error(chunk_name_, pop_error(status));
}

int LuaPlugin::resolve(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    int* refs[] = {&self->on_event_, &self->on_batch_, &self->init_, &self->on_shutdown_};
    for (std::size_t i = 0; i < std::size(refs); ++i) {
        self->entry_types_[i] = lua_getglobal(L, k_entry_names[i]);
        if (self->entry_types_[i] == LUA_TFUNCTION) {
            *refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        } else {
            lua_pop(L, 1);
        }
    }
    return 0;
}

void LuaPlugin::resolve_entry_points() {
    state_.begin_call();
    host_.begin_call(CallKind::load);
    const int status = state_.protect(&LuaPlugin::resolve, this);
    host_.end_call();
    if (status != LUA_OK) throw script_error(chunk_name_, pop_error(status));
    for (std::size_t i = 0; i < std::size(k_entry_names); ++i) {
        const int type = entry_types_[i];
        if (type != LUA_TNIL && type != LUA_TFUNCTION) {
            const std::string message =
                fmt::format("'{}' is a {}, expected a function", k_entry_names[i], lua_typename(state_.get(), type));
            throw LuaScriptError(message, 0, message);
        }
    }
    if (on_event_ == LUA_NOREF && on_batch_ == LUA_NOREF) {
        const std::string message = "the script defines neither on_event(event) nor on_batch(events)";
        throw LuaScriptError(message, 0, message);
    }
}

int LuaPlugin::dispatch_init(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    lua_rawgeti(L, LUA_REGISTRYINDEX, self->init_);
    push_json(L, *self->init_options_);
    lua_call(L, 1, 0);
    return 0;
}

void LuaPlugin::run_init(const rapidjson::Value& options) {
    if (init_ == LUA_NOREF) return;
    state_.begin_call();
    host_.begin_call(CallKind::init);
    init_options_ = &options;
    const int status = state_.protect(&LuaPlugin::dispatch_init, this);
    init_options_ = nullptr;
    host_.end_call();
    if (status != LUA_OK) throw std::runtime_error("init(options) failed: " + pop_error(status));
}

int LuaPlugin::dispatch_shutdown(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    lua_rawgeti(L, LUA_REGISTRYINDEX, self->on_shutdown_);
    lua_call(L, 0, 0);
    return 0;
}

int LuaPlugin::dispatch_event(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    lua_rawgeti(L, LUA_REGISTRYINDEX, self->on_event_);
    push_event(L, self->host_, self->host_.call_first());
    lua_call(L, 1, 0);
    return 0;
}

int LuaPlugin::dispatch_batch(lua_State* L) {
    auto* self = static_cast<LuaPlugin*>(lua_touserdata(L, 1));
    const std::size_t first = self->host_.call_first(), count = self->host_.call_count();
    lua_rawgeti(L, LUA_REGISTRYINDEX, self->on_batch_);
    push_event_array(L, self->host_, first, count);
    lua_call(L, 1, 0);
    return 0;
}

void LuaPlugin::handle(std::span<const Event* const> events, std::span<Outcome> outcomes) {
    if (events.empty()) return;
    host_.begin_handle(events, outcomes);
    if (on_batch_ != LUA_NOREF) {
        call_batch(0, events.size());
    } else {
        for (std::size_t i = 0; i < events.size(); ++i) call_event(i);
    }
    host_.flush_emits();
    host_.end_handle();
    memory_.set(static_cast<double>(state_.memory_used()));
}

void LuaPlugin::begin_events(std::span<const Event* const> events, std::span<Outcome> outcomes,
                             ScriptSql& sql) noexcept {
    host_.begin_handle(events, outcomes);
    host_.set_sql(&sql);
}

void LuaPlugin::end_events() noexcept {
    host_.set_sql(nullptr);
    host_.end_handle();
    memory_.set(static_cast<double>(state_.memory_used()));
}

void LuaPlugin::read_script(lua_CFunction fn, void* ud) {
    state_.begin_call();
    host_.begin_call(CallKind::load);
    const int status = state_.protect(fn, ud);
    host_.end_call();
    if (status != LUA_OK) throw script_error(chunk_name_, pop_error(status));
}

void LuaPlugin::call_event(std::size_t index) {
    state_.begin_call();
    host_.begin_call(CallKind::event, index, 1);
    const int status = state_.protect(&LuaPlugin::dispatch_event, this);
    host_.end_call();
    Outcome& outcome = host_.outcomes()[index];
    if (status != LUA_OK) {
        const bool signal = is_reject_signal(state_.get(), -1);
        std::string reason = pop_error(status);
        host_.drop_call_emits();
        if (!host_.reject_requested()) {
            errors_.add(1);
            if (signal) reason = "rejected by the script";
            outcome = Outcome::failed(std::move(reason));
        }
    }
    // Also when the script caught the signal with pcall: rejecting was asked for.
    if (host_.reject_requested()) {
        host_.drop_call_emits();
        outcome = Outcome::reject(host_.reject_reason());
    }
}

void LuaPlugin::call_batch(std::size_t first, std::size_t count) {
    state_.begin_call();
    host_.begin_call(CallKind::batch, first, count);
    const int status = state_.protect(&LuaPlugin::dispatch_batch, this);
    host_.end_call();
    if (status == LUA_OK) return;
    std::string reason = pop_error(status);
    host_.drop_call_emits();
    errors_.add(1);
    const auto outcomes = host_.outcomes().subspan(first, count);
    if (count == 1) {
        outcomes[0] = Outcome::failed(std::move(reason));
        return;
    }
    // Find the failing events: one at a time, like the pipeline does for a
    // throwing C++ plugin (at-least-once allows the replay of the others).
    context_.logger().warning(fmt::format(
        "on_batch failed on a batch of {} events ({}); calling it with one event at a time", count, reason));
    for (Outcome& o : outcomes) o = Outcome::done();
    for (std::size_t i = 0; i < count; ++i) call_batch(first + i, 1);
}

}  // namespace fanout::daemon::lua
