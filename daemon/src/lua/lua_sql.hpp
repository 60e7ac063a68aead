#pragma once
// The database of a Lua SQL projection (lua.connection): what fanout.sql.exec
// and fanout.sql.query run on, inside the batch's transaction with the
// checkpoints (fanout/sql/projection_plugin.hpp), so a script's writes count
// once across crashes and replays.
//
// Statements are named-parameter SQL (`:name`, bound from the call's table),
// compiled once per distinct text and prepared once per connection. Every
// call is recorded for the batch, so after one event fails the store can roll
// back to the batch's savepoint and apply the events before it again without
// running the script again. On PostgreSQL, exec() only queues its statement:
// the queue goes to the server pipelined (one round trip per 256 calls) before
// a query, when it is full, and at the end of the run; a statement that fails
// there is charged to the event that issued it.
//
// The sandbox: one statement per call; no transaction control, pragmas or
// settings, ATTACH, extensions or schema changes (the script's migrations
// make the tables); no writes to the checkpoint table or the schema record.
// SQLite enforces it with an authorizer; on PostgreSQL the statement's words
// are checked (SELECT, INSERT, UPDATE, DELETE, WITH, VALUES, TABLE, MERGE
// only, and none of the functions that change the session), and the
// database role is the real boundary: give the projection a role that owns
// only its tables.
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/named_statement.hpp"
#include "lua/lua_host.hpp"

namespace fanout::daemon::lua {

struct NoChanges {};

/// A statement that failed for one event, or the database that failed.
struct SqlFailure {
    std::size_t event = 0;
    ScriptSql::Status status = ScriptSql::Status::statement_failed;
    std::string message;
};

class ScriptStore : public sql::ChangeStore<NoChanges>, public ScriptSql {
public:
    void write(const NoChanges&) final {}

    /// A new batch: no recorded calls, no failure.
    void start_batch() noexcept;
    /// A run of the batch from event `from`: the calls recorded for events
    /// from `from` on are forgotten (they were rolled back), the failure too.
    void start_run(std::size_t from) noexcept;
    /// The run's calls are all made: send what is still queued. Leaves a
    /// failure (failure()) when one fails.
    virtual void finish() noexcept = 0;
    /// The first call that failed in this run, sticky: later calls fail with it.
    const std::optional<SqlFailure>& failure() const noexcept { return failure_; }
    /// Calls the script made for `event` in this batch (0: it wrote nothing).
    bool called(std::size_t event) const noexcept { return event < called_.size() && called_[event]; }

    virtual void savepoint() = 0;
    virtual void rollback_to_savepoint() = 0;
    virtual void release() = 0;
    /// After rollback_to_savepoint(): run the recorded calls of events
    /// [from, to) again, in order. Throws DatabaseError when one fails (the
    /// database changed under the batch: it is retried).
    virtual void replay(std::size_t from, std::size_t to) = 0;

    /// Runs run_call(); a failure is sticky, a database exception fails the run.
    Status call(lua_State* L, std::string_view sql, int params, bool query, std::size_t event,
                std::string_view where) noexcept final;
    const QueryRows& rows() const noexcept final { return rows_; }
    const std::string& error() const noexcept final { return error_; }

    /// Tables the script may read but never write (the checkpoint table, the
    /// schema record).
    void guard(std::vector<std::string> tables);

protected:
    using ChangeStore::ChangeStore;

    /// One call on the backend, outside a failed run; may throw.
    virtual Status run_call(lua_State* L, std::string_view sql, int params, bool query, std::size_t event,
                            std::string_view where) = 0;
    /// `message` after the script's place ("script.lua:12: ").
    static std::string placed(std::string_view where, const std::string& message);
    /// The first line of `sql`, shortened, for messages.
    static std::string excerpt(std::string_view sql);

    /// Forget every recorded call (a new batch).
    virtual void forget_calls() noexcept = 0;

    /// A call's parameter value (text also for PostgreSQL, which takes text).
    struct Bound {
        enum class Kind { null, integer, number, text } kind = Kind::null;
        std::int64_t integer = 0;
        double number = 0;
        std::string text;
    };

    /// `sql` compiled for `backend` and checked against the sandbox; nullopt
    /// with error_ set when it is refused.
    std::optional<sql::NamedStatement> compile(std::string_view sql, sql::Backend backend, std::string_view where);
    /// The statement for `text` from `cache`, or a new one: compiled and
    /// checked (compile()), then made by `prepare(NamedStatement&&)` for the
    /// backend (nullptr with error_ set when the database refuses it).
    /// nullptr with error_ set when refused.
    template <typename Prepared, typename Prepare>
    Prepared* cached(std::map<std::string, std::unique_ptr<Prepared>, std::less<>>& cache, std::string_view text,
                     sql::Backend backend, std::string_view where, Prepare&& prepare) {
        const auto found = cache.find(text);
        if (found != cache.end()) return found->second.get();
        if (cache.size() >= k_max_statements) {
            refuse(where, "fanout.sql: more than " + std::to_string(k_max_statements) +
                              " distinct statements: pass values as :parameters instead of building SQL text");
            return nullptr;
        }
        std::optional<sql::NamedStatement> named = compile(text, backend, where);
        if (!named) return nullptr;
        std::unique_ptr<Prepared> made = prepare(std::move(*named));
        if (!made) return nullptr;
        Prepared* out = made.get();
        cache.emplace(std::string(text), std::move(made));
        return out;
    }

    /// The values of `statement`'s parameters from the Lua table at `params`
    /// (0: none), with non-raising Lua API only. False with error_ set when
    /// the table holds a value that cannot be bound or a name the statement
    /// does not use.
    bool bind_values(lua_State* L, int params, const sql::NamedStatement& statement, std::string_view where,
                     std::vector<Bound>& out) noexcept;

    /// Status::script_error with `message`.
    Status refuse(std::string_view where, const std::string& message) noexcept;
    /// Fail the run at `event` (sticky) with `status`.
    Status fail(std::size_t event, Status status, std::string message) noexcept;
    void mark_called(std::size_t event);

    std::vector<std::string> guarded_;
    QueryRows rows_;
    std::string error_;
    std::optional<SqlFailure> failure_;
    std::vector<bool> called_;
    /// Distinct statements a connection keeps prepared: more means SQL built
    /// by concatenating values, which would grow without bound.
    static constexpr std::size_t k_max_statements = 512;
    /// Rows one query may return.
    static constexpr std::size_t k_max_rows = 100'000;
};

/// The store of a Lua SQL projection on `session` (connected, migrated).
std::unique_ptr<ScriptStore> make_script_store(std::unique_ptr<soci::session> session, sql::Backend backend,
                                               const std::string& checkpoint_table,
                                               std::vector<std::string> guarded_tables);

/// The two backends (lua_sql_sqlite.cpp, lua_sql_postgres.cpp).
std::unique_ptr<ScriptStore> make_sqlite_script_store(std::unique_ptr<soci::session> session,
                                                      const std::string& checkpoint_table);
std::unique_ptr<ScriptStore> make_postgres_script_store(std::unique_ptr<soci::session> session,
                                                        const std::string& checkpoint_table);

}  // namespace fanout::daemon::lua
