#pragma once
// State shared by a script's host functions (fanout.*) and its event objects.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lua.hpp>

#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "fanout/outcome.hpp"

namespace fanout::daemon::lua {

/// Where fanout.emit's derived events go (the daemon's producer; a fake in
/// tests). Called on the pipeline thread, after the script call returned.
class Emitter {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;
    virtual ~Emitter() = default;
    /// Produce one record and wait for the acknowledgement. Returns an empty
    /// string on success, else the error.
    virtual std::string send(std::string_view topic, std::string_view key, std::string_view value,
                             const Headers& headers) = 0;
};

/// One fanout.emit / event:emit, held until its events are done.
struct PendingEmit {
    std::string topic;
    std::string key;
    std::string value;
    Emitter::Headers headers;
    /// The events of the current handle() it belongs to: sent only when at
    /// least one of them ends done.
    std::size_t first = 0;
    std::size_t count = 0;
};

/// A query's rows as fanout.sql.query hands them to the script.
struct QueryRows {
    struct Cell {
        enum class Kind { null, integer, number, boolean, text } kind = Kind::null;
        std::int64_t integer = 0;
        double number = 0;
        std::string text;
    };
    std::vector<std::string> columns;
    std::vector<Cell> cells;  ///< row-major: cells[row * columns.size() + column]

    void clear() {
        columns.clear();
        cells.clear();
    }
};

/// fanout.sql.exec / fanout.sql.query of a Lua SQL projection: the batch's
/// transaction (lua_sql.hpp). Threading: the pipeline thread only.
class ScriptSql {
public:
    enum class Status {
        ok,
        script_error,      ///< the call was wrong (SQL, parameters, sandbox): a script error
        statement_failed,  ///< the database refused it for this event: the event fails
        database_down,     ///< not the event's fault: the batch is retried
    };
    virtual ~ScriptSql() = default;
    /// Run `sql` for event `event` of the batch, its named parameters taken
    /// from the table at stack index `params` (0: none). Reads the table with
    /// Lua API functions that never raise, so it may hold C++ objects.
    /// `where` ("script.lua:12:") places messages. A query leaves its rows in
    /// rows(); anything but ok leaves the reason in error().
    virtual Status call(lua_State* L, std::string_view sql, int params, bool query, std::size_t event,
                        std::string_view where) noexcept = 0;
    virtual const QueryRows& rows() const noexcept = 0;
    virtual const std::string& error() const noexcept = 0;
};

/// What the script is running now; host functions check it.
enum class CallKind { none, load, init, event, batch, shutdown };

/// Lives as long as the Lua state that points at it (host functions carry
/// its address as an upvalue). Threading: the pipeline thread only.
class LuaHost {
public:
    LuaHost(Context& context, std::unique_ptr<Emitter> emitter, std::size_t emit_limit_bytes)
        : context_(context), emitter_(std::move(emitter)), emit_limit_bytes_(emit_limit_bytes) {}

    Context& context() noexcept { return context_; }

    void begin_handle(std::span<const Event* const> events, std::span<Outcome> outcomes) noexcept {
        events_ = events;
        outcomes_ = outcomes;
        emits_.clear();
        emit_bytes_ = 0;
    }
    void end_handle() noexcept {
        events_ = {};
        outcomes_ = {};
        emits_.clear();
    }
    std::span<const Event* const> events() const noexcept { return events_; }
    std::span<Outcome> outcomes() const noexcept { return outcomes_; }

    /// A call into the script covering events [first, first + count).
    void begin_call(CallKind kind, std::size_t first = 0, std::size_t count = 0) noexcept {
        kind_ = kind;
        first_ = first;
        count_ = count;
        reject_requested_ = false;
        reject_reason_.clear();
        emit_mark_ = emits_.size();
        emit_bytes_mark_ = emit_bytes_;
    }
    /// The call returned: every event object made during it goes stale.
    void end_call() noexcept {
        kind_ = CallKind::none;
        ++generation_;
    }
    /// Forget what the call emitted (it failed).
    void drop_call_emits() noexcept {
        emits_.resize(emit_mark_);
        emit_bytes_ = emit_bytes_mark_;
    }

    CallKind kind() const noexcept { return kind_; }
    bool handling_events() const noexcept { return kind_ == CallKind::event || kind_ == CallKind::batch; }
    std::size_t call_first() const noexcept { return first_; }
    std::size_t call_count() const noexcept { return count_; }
    std::uint64_t generation() const noexcept { return generation_; }

    /// fanout.reject(reason) inside on_event.
    void request_reject(std::string reason) {
        reject_reason_ = std::move(reason);
        reject_requested_ = true;
    }
    bool reject_requested() const noexcept { return reject_requested_; }
    const std::string& reject_reason() const noexcept { return reject_reason_; }

    /// False when the buffered emits would pass the limit (bounded like the
    /// script's own memory).
    bool add_emit(PendingEmit emit);

    /// Send the emits of events that ended done, in order. A failed send
    /// turns its events into retry_later, and every later emit's events too
    /// (the producer is likely down: do not wait on it again).
    void flush_emits();

    /// The database of a Lua SQL projection during its batches; nullptr
    /// otherwise (fanout.sql then says how to get one).
    void set_sql(ScriptSql* sql) noexcept { sql_ = sql; }
    ScriptSql* sql() const noexcept { return sql_; }
    /// A SQL projection: fanout.emit is refused (its records could not be
    /// sent in the projection's transaction).
    void set_projection(bool projection) noexcept { projection_ = projection; }
    bool projection() const noexcept { return projection_; }

    /// Distinct metric names this instance may create (a script that names
    /// a metric per event id would otherwise grow the registry forever).
    static constexpr std::size_t k_max_metrics = 1000;
    bool reserve_metric() noexcept { return metrics_ < k_max_metrics ? (++metrics_, true) : false; }

private:
    Context& context_;
    std::unique_ptr<Emitter> emitter_;
    std::size_t emit_limit_bytes_;

    std::span<const Event* const> events_;
    std::span<Outcome> outcomes_;
    std::vector<PendingEmit> emits_;
    std::size_t emit_bytes_ = 0;

    CallKind kind_ = CallKind::none;
    std::size_t first_ = 0;
    std::size_t count_ = 0;
    std::uint64_t generation_ = 1;
    bool reject_requested_ = false;
    std::string reject_reason_;
    std::size_t emit_mark_ = 0;
    std::size_t emit_bytes_mark_ = 0;
    std::size_t metrics_ = 0;
    ScriptSql* sql_ = nullptr;
    bool projection_ = false;
};

}  // namespace fanout::daemon::lua
