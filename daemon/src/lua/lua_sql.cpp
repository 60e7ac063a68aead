#include "lua/lua_sql.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string_view>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/sql/errors.hpp"
#include "fanout/sql/named_statement.hpp"
#include "fanout/sql/postgres_connection.hpp"
#include "fanout/sql/sqlite_connection.hpp"

namespace fanout::daemon::lua {
namespace {

using sql::DatabaseError;

/// First words a script's statement may start with.
constexpr std::array<std::string_view, 8> k_statements = {"select", "insert", "update", "delete",
                                                          "with",   "values", "table",  "merge"};

/// Words that write.
constexpr std::array<std::string_view, 5> k_writes = {"insert", "update", "delete", "merge", "truncate"};

/// PostgreSQL functions that change the session or reach outside the
/// projection's tables (settings, locks, files, other connections).
bool forbidden_function(std::string_view word) {
    constexpr std::array<std::string_view, 12> exact = {
        "set_config",     "lo_import",          "lo_export",          "pg_read_file",
        "pg_ls_dir",      "pg_read_binary_file", "pg_terminate_backend", "pg_cancel_backend",
        "pg_reload_conf", "pg_switch_wal",      "pg_stat_file",       "pg_file_write"};
    if (std::find(exact.begin(), exact.end(), word) != exact.end()) return true;
    return word.starts_with("pg_advisory") || word.starts_with("pg_try_advisory") || word.starts_with("dblink");
}

std::string one_line(std::string_view text) { return sql::one_line(text); }

/// `message` after the script's place ("script.lua:12: ").
std::string placed(std::string_view where, const std::string& message) {
    std::string out(where);
    if (!out.empty() && out.back() != ' ') out += ' ';
    return out + message;
}

/// The first line of `sql`, shortened, for messages.
std::string excerpt(std::string_view sql) {
    std::string out = one_line(sql);
    if (out.size() > 80) out = out.substr(0, 77) + "...";
    return out;
}

}  // namespace

void ScriptStore::guard(std::vector<std::string> tables) {
    guarded_ = std::move(tables);
    for (std::string& table : guarded_) {
        for (char& c : table) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
    }
}

void ScriptStore::start_batch() noexcept {
    failure_.reset();
    called_.clear();
    forget_calls();
}

void ScriptStore::start_run(std::size_t) noexcept { failure_.reset(); }

void ScriptStore::mark_called(std::size_t event) {
    if (called_.size() <= event) called_.resize(event + 1, false);
    called_[event] = true;
}

ScriptSql::Status ScriptStore::refuse(std::string_view where, const std::string& message) noexcept {
    try {
        error_ = placed(where, message);
    } catch (...) {
        error_.clear();
    }
    return Status::script_error;
}

ScriptSql::Status ScriptStore::fail(std::size_t event, Status status, std::string message) noexcept {
    try {
        error_ = message;
        failure_ = SqlFailure{event, status, std::move(message)};
    } catch (...) {
        failure_ = SqlFailure{event, Status::database_down, {}};
    }
    return status;
}

std::optional<sql::NamedStatement> ScriptStore::compile(std::string_view text, sql::Backend backend,
                                                        std::string_view where) {
    sql::NamedStatement statement;
    try {
        statement = sql::compile_named(text, backend, sql::ParameterNames::free);
    } catch (const sql::NamedStatementError& e) {
        refuse(where, std::string("fanout.sql: ") + e.what() + " (at byte " + std::to_string(e.offset() + 1) + ")");
        return std::nullopt;
    }
    if (statement.several) {
        refuse(where, "fanout.sql: one statement per call (found text after ';')");
        return std::nullopt;
    }
    if (statement.words.empty()) {
        refuse(where, "fanout.sql: an empty statement");
        return std::nullopt;
    }
    const std::string& first = statement.words.front();
    if (std::find(k_statements.begin(), k_statements.end(), first) == k_statements.end()) {
        std::string keyword = first;
        for (char& c : keyword) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        refuse(where, "fanout.sql: " + keyword +
                          " is not allowed: a script runs SELECT, INSERT, UPDATE, DELETE, WITH, VALUES, TABLE or "
                          "MERGE; transactions belong to Fanout and tables to the script's migrations");
        return std::nullopt;
    }
    bool writes = false;
    for (const std::string& word : statement.words) {
        writes = writes || std::find(k_writes.begin(), k_writes.end(), word) != k_writes.end();
        if (backend == sql::Backend::postgresql && forbidden_function(word)) {
            refuse(where, "fanout.sql: " + word + " is not allowed in a Lua projection");
            return std::nullopt;
        }
    }
    // SQLite's authorizer knows exactly which table a statement writes; on
    // PostgreSQL any write that names a guarded table is refused.
    if (writes && backend == sql::Backend::postgresql) {
        for (const std::string& word : statement.words) {
            if (std::find(guarded_.begin(), guarded_.end(), word) != guarded_.end()) {
                refuse(where, "fanout.sql: " + word + " is Fanout's own table: a script may read it, never write it");
                return std::nullopt;
            }
        }
    }
    return statement;
}

bool ScriptStore::bind_values(lua_State* L, int params, const sql::NamedStatement& statement, std::string_view where,
                              std::vector<Bound>& out) noexcept {
    try {
        out.assign(statement.parameters.size(), Bound{});
        if (params == 0) return true;
        if (!lua_checkstack(L, 3)) {
            refuse(where, "fanout.sql: Lua stack overflow");
            return false;
        }
        lua_pushnil(L);
        while (lua_next(L, params) != 0) {
            // Only non-raising calls: lua_tolstring on strings converts nothing.
            if (lua_type(L, -2) != LUA_TSTRING) {
                lua_pop(L, 2);
                refuse(where, "fanout.sql: parameters are named: pass a table of name = value");
                return false;
            }
            std::size_t size = 0;
            const char* key = lua_tolstring(L, -2, &size);
            const std::string_view name(key, size);
            std::size_t k = 0;
            while (k < statement.parameters.size() && statement.parameters[k].name != name) ++k;
            if (k == statement.parameters.size()) {
                lua_pop(L, 2);
                refuse(where, "fanout.sql: the statement has no parameter :" + std::string(name));
                return false;
            }
            Bound& b = out[k];
            switch (lua_type(L, -1)) {
                case LUA_TBOOLEAN:
                    b.kind = Bound::Kind::integer;
                    b.integer = lua_toboolean(L, -1) ? 1 : 0;
                    b.text = lua_toboolean(L, -1) ? "true" : "false";
                    break;
                case LUA_TNUMBER:
                    if (lua_isinteger(L, -1)) {
                        b.kind = Bound::Kind::integer;
                        b.integer = static_cast<std::int64_t>(lua_tointeger(L, -1));
                        b.text = std::to_string(b.integer);
                    } else {
                        b.kind = Bound::Kind::number;
                        b.number = static_cast<double>(lua_tonumber(L, -1));
                        char buffer[32];
                        std::snprintf(buffer, sizeof buffer, "%.17g", b.number);
                        b.text = buffer;
                    }
                    break;
                case LUA_TSTRING: {
                    std::size_t n = 0;
                    const char* s = lua_tolstring(L, -1, &n);
                    b.kind = Bound::Kind::text;
                    b.text.assign(s, n);
                    break;
                }
                case LUA_TLIGHTUSERDATA:
                    if (lua_touserdata(L, -1) == nullptr) break;  // fanout.json.null: NULL
                    [[fallthrough]];
                default: {
                    const char* type = lua_typename(L, lua_type(L, -1));
                    lua_pop(L, 2);
                    refuse(where, "fanout.sql: parameter :" + std::string(name) + " is a " + type +
                                      "; expected nil, a boolean, a number or a string");
                    return false;
                }
            }
            lua_pop(L, 1);
        }
        return true;
    } catch (...) {
        refuse(where, "fanout.sql: not enough memory");
        return false;
    }
}

namespace {

// --- SQLite ------------------------------------------------------------------------

using sqlite_api::sqlite3;
using sqlite_api::sqlite3_stmt;

class SqliteScriptStore final : public sql::SqliteBatchStore<ScriptStore> {
public:
    SqliteScriptStore(std::unique_ptr<soci::session> session, const std::string& checkpoint_table)
        : sql::SqliteBatchStore<ScriptStore>(std::move(session), checkpoint_table) {}

    Status call(lua_State* L, std::string_view text, int params, bool query, std::size_t event,
                std::string_view where) noexcept override {
        if (failure_) {
            error_ = failure_->message;
            return failure_->status;
        }
        try {
            Prepared* p = statement(text, where);
            if (p == nullptr) return Status::script_error;
            if (!bind_values(L, params, p->named, where, values_)) return Status::script_error;
            if (query) rows_.clear();
            const Status status = run(*p, values_, query ? &rows_ : nullptr, event, where);
            if (status != Status::ok) return status;
            recorded_.push_back(Recorded{event, p, values_});
            mark_called(event);
            return Status::ok;
        } catch (const std::exception& e) {
            return fail(event, Status::database_down, std::string("fanout.sql: ") + e.what());
        }
    }

    void finish() noexcept override {}

    void forget_calls() noexcept override { recorded_.clear(); }

    void savepoint() override { db_.exec("SAVEPOINT fanout_script"); }
    void rollback_to_savepoint() override { db_.exec("ROLLBACK TO fanout_script"); }
    void release() override { db_.exec("RELEASE fanout_script"); }

    void replay(std::size_t from, std::size_t to) override {
        for (const Recorded& r : recorded_) {
            if (r.event < from || r.event >= to) continue;
            if (run(*r.statement, r.values, nullptr, r.event, {}) != Status::ok) {
                throw DatabaseError("a statement that ran once failed when the batch ran again: " + error_);
            }
        }
        const auto end = std::find_if(recorded_.begin(), recorded_.end(), [&](const Recorded& r) { return r.event >= to; });
        recorded_.erase(end, recorded_.end());
    }

private:
    struct Prepared {
        sql::NamedStatement named;
        sql::SqliteConnection::Statement statement{nullptr, nullptr};
    };
    struct Recorded {
        std::size_t event;
        Prepared* statement;
        std::vector<Bound> values;
    };

    /// The authorizer's verdict on the statement being prepared.
    static int authorize(void* self, int action, const char* a, const char* b, const char*, const char*) {
        auto* store = static_cast<SqliteScriptStore*>(self);
        const auto deny = [&](std::string why) {
            if (store->denied_.empty()) store->denied_ = std::move(why);
            return SQLITE_DENY;
        };
        switch (action) {
            case SQLITE_ATTACH:
            case SQLITE_DETACH: return deny("ATTACH and DETACH are not allowed in a Lua projection");
            case SQLITE_PRAGMA: return deny("PRAGMA is not allowed in a Lua projection");
            case SQLITE_TRANSACTION:
            case SQLITE_SAVEPOINT:
                return deny("transaction control is not allowed: Fanout commits the batch with its checkpoints");
            case SQLITE_CREATE_INDEX:
            case SQLITE_CREATE_TABLE:
            case SQLITE_CREATE_TEMP_INDEX:
            case SQLITE_CREATE_TEMP_TABLE:
            case SQLITE_CREATE_TEMP_TRIGGER:
            case SQLITE_CREATE_TEMP_VIEW:
            case SQLITE_CREATE_TRIGGER:
            case SQLITE_CREATE_VIEW:
            case SQLITE_CREATE_VTABLE:
            case SQLITE_DROP_INDEX:
            case SQLITE_DROP_TABLE:
            case SQLITE_DROP_TEMP_INDEX:
            case SQLITE_DROP_TEMP_TABLE:
            case SQLITE_DROP_TEMP_TRIGGER:
            case SQLITE_DROP_TEMP_VIEW:
            case SQLITE_DROP_TRIGGER:
            case SQLITE_DROP_VIEW:
            case SQLITE_DROP_VTABLE:
            case SQLITE_ALTER_TABLE:
            case SQLITE_REINDEX:
            case SQLITE_ANALYZE:
                return deny("schema changes are not allowed here: they belong in the script's migrations");
            case SQLITE_FUNCTION:
                if (b != nullptr && sqlite_api::sqlite3_stricmp(b, "load_extension") == 0) {
                    return deny("load_extension is not allowed in a Lua projection");
                }
                return SQLITE_OK;
            case SQLITE_INSERT:
            case SQLITE_UPDATE:
            case SQLITE_DELETE:
                if (a != nullptr) {
                    for (const std::string& table : store->guarded_) {
                        if (sqlite_api::sqlite3_stricmp(a, table.c_str()) == 0) {
                            return deny(table + " is Fanout's own table: a script may read it, never write it");
                        }
                    }
                }
                return SQLITE_OK;
            default: return SQLITE_OK;
        }
    }

    Prepared* statement(std::string_view text, std::string_view where) {
        return cached(cache_, text, sql::Backend::sqlite, where, [&](sql::NamedStatement&& named) {
            auto p = std::make_unique<Prepared>();
            p->named = std::move(named);
            sqlite3* handle = db_.handle();
            denied_.clear();
            sqlite_api::sqlite3_set_authorizer(handle, &SqliteScriptStore::authorize, this);
            sqlite3_stmt* raw = nullptr;
            const int rc = sqlite_api::sqlite3_prepare_v3(handle, p->named.sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                                          &raw, nullptr);
            sqlite_api::sqlite3_set_authorizer(handle, nullptr, nullptr);
            if (rc != SQLITE_OK) {
                sqlite_api::sqlite3_finalize(raw);
                refuse(where, "fanout.sql: " +
                                  (denied_.empty() ? std::string(sqlite_api::sqlite3_errmsg(handle)) : denied_) +
                                  " in: " + excerpt(text));
                return std::unique_ptr<Prepared>();
            }
            p->statement = sql::SqliteConnection::Statement(raw, &sqlite_api::sqlite3_finalize);
            return p;
        });
    }

    Status run(Prepared& p, const std::vector<Bound>& values, QueryRows* rows, std::size_t event,
               std::string_view where) {
        sqlite3_stmt* s = p.statement.get();
        for (std::size_t k = 0; k < values.size(); ++k) {
            const int index = static_cast<int>(k) + 1;
            const Bound& v = values[k];
            switch (v.kind) {
                case Bound::Kind::null: db_.bind_null(s, index); break;
                case Bound::Kind::integer: db_.bind(s, index, v.integer); break;
                case Bound::Kind::number: db_.bind(s, index, v.number); break;
                case Bound::Kind::text: db_.bind(s, index, std::string_view(v.text)); break;
            }
        }
        if (rows != nullptr) {
            const int width = sqlite_api::sqlite3_column_count(s);
            for (int c = 0; c < width; ++c) rows->columns.emplace_back(sqlite_api::sqlite3_column_name(s, c));
        }
        std::size_t count = 0;
        try {
            db_.run_rows(s, [&](sqlite3_stmt* row) {
                if (rows == nullptr) return;
                if (++count > k_max_rows) throw std::length_error("query");
                for (int c = 0, width = static_cast<int>(rows->columns.size()); c < width; ++c) {
                    QueryRows::Cell cell;
                    switch (sqlite_api::sqlite3_column_type(row, c)) {
                        case SQLITE_NULL: break;
                        case SQLITE_INTEGER:
                            cell.kind = QueryRows::Cell::Kind::integer;
                            cell.integer = sqlite_api::sqlite3_column_int64(row, c);
                            break;
                        case SQLITE_FLOAT:
                            cell.kind = QueryRows::Cell::Kind::number;
                            cell.number = sqlite_api::sqlite3_column_double(row, c);
                            break;
                        default:
                            cell.kind = QueryRows::Cell::Kind::text;
                            cell.text = sql::SqliteConnection::text(row, c);
                    }
                    rows->cells.push_back(std::move(cell));
                }
            });
        } catch (const std::length_error&) {
            rows->clear();
            return refuse(where, "fanout.sql.query: more than " + std::to_string(k_max_rows) +
                                     " rows; add a LIMIT or aggregate in SQL");
        } catch (const DatabaseError& e) {
            const int primary = db_.last_error_code() & 0xff;
            if (!db_.usable() || primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL) {
                return fail(event, Status::database_down, e.what());
            }
            return fail(event, Status::statement_failed,
                        placed(where, "statement failed: " + excerpt(sqlite_api::sqlite3_sql(s)) + ": " +
                                          sqlite_api::sqlite3_errmsg(db_.handle()) + " (code " +
                                          std::to_string(db_.last_error_code()) + ")"));
        }
        return Status::ok;
    }

    std::map<std::string, std::unique_ptr<Prepared>, std::less<>> cache_;
    std::vector<Recorded> recorded_;
    std::vector<Bound> values_;
    std::string denied_;
};

// --- PostgreSQL --------------------------------------------------------------------

class PostgresScriptStore final : public sql::PostgresBatchStore<ScriptStore> {
public:
    PostgresScriptStore(std::unique_ptr<soci::session> session, const std::string& checkpoint_table)
        : sql::PostgresBatchStore<ScriptStore>(std::move(session), checkpoint_table, "fanout_lua_advance") {}

    Status call(lua_State* L, std::string_view text, int params, bool query, std::size_t event,
                std::string_view where) noexcept override {
        if (failure_) {
            error_ = failure_->message;
            return failure_->status;
        }
        try {
            Prepared* p = statement(text, where);
            if (p == nullptr) return failure_ ? failure_->status : Status::script_error;
            if (!bind_values(L, params, p->named, where, values_)) return Status::script_error;
            sql::PgCall call{p->name.c_str(), {}};
            call.values.reserve(values_.size());
            for (const Bound& v : values_) {
                call.values.push_back(v.kind == Bound::Kind::null ? std::nullopt : std::optional<std::string>(v.text));
            }
            recorded_.push_back(Recorded{event, p, std::string(where), std::move(call)});
            mark_called(event);
            if (query) return send(true);
            if (recorded_.size() - sent_ >= sql::PostgresConnection::k_pipeline_calls) return send(false);
            return Status::ok;
        } catch (const std::exception& e) {
            return fail(event, Status::database_down, std::string("fanout.sql: ") + e.what());
        }
    }

    void finish() noexcept override {
        if (failure_) return;
        try {
            send(false);
        } catch (const std::exception& e) {
            fail(recorded_.empty() ? 0 : recorded_.back().event, Status::database_down, e.what());
        }
    }

    void forget_calls() noexcept override {
        recorded_.clear();
        sent_ = 0;
    }

    void savepoint() override { db_.exec("SAVEPOINT fanout_script", PGRES_COMMAND_OK); }
    void rollback_to_savepoint() override {
        db_.exec("ROLLBACK TO SAVEPOINT fanout_script", PGRES_COMMAND_OK);
        sent_ = 0;
    }
    void release() override { db_.exec("RELEASE SAVEPOINT fanout_script", PGRES_COMMAND_OK); }

    void replay(std::size_t from, std::size_t to) override {
        const auto end = std::find_if(recorded_.begin(), recorded_.end(), [&](const Recorded& r) { return r.event >= to; });
        recorded_.erase(end, recorded_.end());
        calls_.clear();
        for (const Recorded& r : recorded_) {
            if (r.event >= from) calls_.push_back(r.call);
        }
        if (auto failure = db_.run_pipelined(calls_)) {
            throw DatabaseError("a statement that ran once failed when the batch ran again: " + failure->message);
        }
        sent_ = recorded_.size();
    }

private:
    struct Prepared {
        sql::NamedStatement named;
        std::string name;
    };
    struct Recorded {
        std::size_t event;
        Prepared* statement;
        std::string where;
        sql::PgCall call;
    };

    Prepared* statement(std::string_view text, std::string_view where) {
        return cached(cache_, text, sql::Backend::postgresql, where, [&](sql::NamedStatement&& named) {
            auto p = std::make_unique<Prepared>();
            p->named = std::move(named);
            p->name = "fanout_lua_" + std::to_string(cache_.size());
            // Under a savepoint of its own: a statement that does not compile
            // must not abort the batch's transaction.
            db_.exec("SAVEPOINT fanout_prepare", PGRES_COMMAND_OK);
            try {
                db_.prepare(sql::PreparedSql{p->name.c_str(), p->named.sql.c_str()});
            } catch (const DatabaseError& e) {
                if (!db_.usable()) throw;
                db_.exec("ROLLBACK TO SAVEPOINT fanout_prepare", PGRES_COMMAND_OK);
                db_.exec("RELEASE SAVEPOINT fanout_prepare", PGRES_COMMAND_OK);
                refuse(where, "fanout.sql: " + one_line(e.what()) + " in: " + excerpt(text));
                return std::unique_ptr<Prepared>();
            }
            db_.exec("RELEASE SAVEPOINT fanout_prepare", PGRES_COMMAND_OK);
            return p;
        });
    }

    /// Send the calls not yet sent; for a query the last one's rows into rows_.
    Status send(bool query) {
        if (sent_ == recorded_.size()) return Status::ok;
        calls_.clear();
        for (std::size_t i = sent_; i < recorded_.size(); ++i) calls_.push_back(recorded_[i].call);
        sql::PostgresConnection::Result last;
        const std::optional<sql::PgCallFailure> failure = db_.run_pipelined(calls_, query ? &last : nullptr);
        if (failure) {
            const Recorded& r = recorded_[sent_ + failure->index];
            const std::string message =
                one_line(failure->message) + (failure->sqlstate.empty() ? "" : " (sqlstate " + failure->sqlstate + ")");
            if (sql::transient_sqlstate(failure->sqlstate)) {
                return fail(r.event, Status::database_down, "postgresql: " + message);
            }
            return fail(r.event, Status::statement_failed,
                        placed(r.where, "statement failed: " + excerpt(r.statement->named.sql) + ": " + message));
        }
        sent_ = recorded_.size();
        if (query) return read_rows(last, recorded_.back());
        return Status::ok;
    }

    Status read_rows(const sql::PostgresConnection::Result& result, const Recorded& call) {
        rows_.clear();
        PGresult* r = result.get();
        if (r == nullptr) return Status::ok;
        const int width = PQnfields(r), count = PQntuples(r);
        if (static_cast<std::size_t>(count) > k_max_rows) {
            return refuse(call.where, "fanout.sql.query: more than " + std::to_string(k_max_rows) +
                                          " rows; add a LIMIT or aggregate in SQL");
        }
        for (int c = 0; c < width; ++c) rows_.columns.emplace_back(PQfname(r, c));
        rows_.cells.reserve(static_cast<std::size_t>(width) * static_cast<std::size_t>(count));
        for (int row = 0; row < count; ++row) {
            for (int c = 0; c < width; ++c) {
                QueryRows::Cell cell;
                if (!PQgetisnull(r, row, c)) {
                    const char* value = PQgetvalue(r, row, c);
                    switch (PQftype(r, c)) {
                        case 20:  // int8
                        case 21:  // int2
                        case 23:  // int4
                            cell.kind = QueryRows::Cell::Kind::integer;
                            cell.integer = std::strtoll(value, nullptr, 10);
                            break;
                        case 700:   // float4
                        case 701:   // float8
                        case 1700:  // numeric
                            cell.kind = QueryRows::Cell::Kind::number;
                            cell.number = std::strtod(value, nullptr);
                            break;
                        case 16:  // bool
                            cell.kind = QueryRows::Cell::Kind::boolean;
                            cell.integer = value[0] == 't' ? 1 : 0;
                            break;
                        default:
                            cell.kind = QueryRows::Cell::Kind::text;
                            cell.text.assign(value, static_cast<std::size_t>(PQgetlength(r, row, c)));
                    }
                }
                rows_.cells.push_back(std::move(cell));
            }
        }
        return Status::ok;
    }

    std::map<std::string, std::unique_ptr<Prepared>, std::less<>> cache_;
    std::vector<Recorded> recorded_;  ///< this batch's calls, in order
    std::size_t sent_ = 0;            ///< recorded_[0, sent_) went to the server
    std::vector<sql::PgCall> calls_;
    std::vector<Bound> values_;
};

}  // namespace

std::unique_ptr<ScriptStore> make_script_store(std::unique_ptr<soci::session> session, sql::Backend backend,
                                               const std::string& checkpoint_table,
                                               std::vector<std::string> guarded_tables) {
    std::unique_ptr<ScriptStore> store;
    if (backend == sql::Backend::postgresql) {
        store = std::make_unique<PostgresScriptStore>(std::move(session), checkpoint_table);
    } else {
        store = std::make_unique<SqliteScriptStore>(std::move(session), checkpoint_table);
    }
    store->guard(std::move(guarded_tables));
    return store;
}

}  // namespace fanout::daemon::lua
