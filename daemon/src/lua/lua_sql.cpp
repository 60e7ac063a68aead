#include "lua/lua_sql.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/errors.hpp"
#include "fanout/sql/named_statement.hpp"

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

}  // namespace

std::string ScriptStore::placed(std::string_view where, const std::string& message) {
    std::string out(where);
    if (!out.empty() && out.back() != ' ') out += ' ';
    return out + message;
}

std::string ScriptStore::excerpt(std::string_view sql) {
    std::string out = sql::one_line(sql);
    if (out.size() > 80) out = out.substr(0, 77) + "...";
    return out;
}

ScriptSql::Status ScriptStore::call(lua_State* L, std::string_view text, int params, bool query, std::size_t event,
                                    std::string_view where) noexcept {
    if (failure_) {
        error_ = failure_->message;
        return failure_->status;
    }
    try {
        return run_call(L, text, params, query, event, where);
    } catch (const std::exception& e) {
        return fail(event, Status::database_down, std::string("fanout.sql: ") + e.what());
    }
}

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

std::unique_ptr<ScriptStore> make_script_store(std::unique_ptr<soci::session> session, sql::Backend backend,
                                               const std::string& checkpoint_table,
                                               std::vector<std::string> guarded_tables) {
    std::unique_ptr<ScriptStore> store;
    if (backend == sql::Backend::postgresql) {
        store = make_postgres_script_store(std::move(session), checkpoint_table);
    } else {
        store = make_sqlite_script_store(std::move(session), checkpoint_table);
    }
    store->guard(std::move(guarded_tables));
    return store;
}

}  // namespace fanout::daemon::lua
