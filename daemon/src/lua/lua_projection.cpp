#include "lua/lua_projection.hpp"

#include <cctype>
#include <cstring>
#include <optional>

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/named_statement.hpp"
#include "fanout/sql/projection_plugin.hpp"
#include "lua/lua_sql.hpp"

namespace fanout::daemon::lua {
namespace {

// --- Reading `schema` --------------------------------------------------------------
//
// Runs as a protected Lua call: every C++ step is a call that completes (or
// reports failure) before the next Lua API call, so a Lua error never crosses
// a frame holding a C++ object.

struct SchemaReading {
    ScriptSchema out;
    bool present = false;
};

/// The strings at `index` (one string, or an array of them) appended to `out`.
void read_texts(lua_State* L, int index, std::vector<std::string>& out, const char* what, lua_Integer migration) {
    if (lua_type(L, index) == LUA_TSTRING) {
        try {
            out.emplace_back();
        } catch (...) {
            luaL_error(L, "not enough memory");
        }
        if (!copy_lua_string(out.back(), L, index)) luaL_error(L, "not enough memory");
        return;
    }
    if (!lua_istable(L, index) || lua_rawlen(L, index) == 0) {
        luaL_error(L, "schema.migrations[%d].%s: expected SQL text or a non-empty list of them", static_cast<int>(migration),
                   what);
    }
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
    for (lua_Integer i = 1; i <= n; ++i) {
        if (lua_rawgeti(L, index, i) != LUA_TSTRING) {
            luaL_error(L, "schema.migrations[%d].%s[%d]: expected SQL text, got a %s", static_cast<int>(migration), what,
                       static_cast<int>(i), luaL_typename(L, -1));
        }
        try {
            out.emplace_back();
        } catch (...) {
            luaL_error(L, "not enough memory");
        }
        if (!copy_lua_string(out.back(), L, -1)) luaL_error(L, "not enough memory");
        lua_pop(L, 1);
    }
}

void only_keys(lua_State* L, int index, const char* const* allowed, const char* what) {
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        bool known = false;
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char* key = lua_tostring(L, -2);
            for (const char* const* a = allowed; *a != nullptr; ++a) known = known || std::strcmp(key, *a) == 0;
            if (!known) luaL_error(L, "%s: unknown key '%s'", what, key);
        } else if (!known) {
            luaL_error(L, "%s: keys are names", what);
        }
        lua_pop(L, 1);
    }
}

int read_schema_global(lua_State* L) {
    auto* r = static_cast<SchemaReading*>(lua_touserdata(L, 1));
    if (lua_getglobal(L, "schema") == LUA_TNIL) return 0;
    if (!lua_istable(L, -1)) {
        return luaL_error(L, "'schema' is a %s, expected a table {component = ..., migrations = {...}}",
                          luaL_typename(L, -1));
    }
    r->present = true;
    const int t = lua_gettop(L);
    static const char* const k_top[] = {"component", "checkpoint_table", "migrations", nullptr};
    only_keys(L, t, k_top, "schema");
    if (lua_getfield(L, t, "component") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "schema.component: expected a name");
        if (!copy_lua_string(r->out.schema.component, L, -1)) return luaL_error(L, "not enough memory");
    }
    lua_pop(L, 1);
    if (lua_getfield(L, t, "checkpoint_table") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "schema.checkpoint_table: expected a table name");
        if (!copy_lua_string(r->out.checkpoint_table, L, -1)) return luaL_error(L, "not enough memory");
    }
    lua_pop(L, 1);
    if (lua_getfield(L, t, "migrations") != LUA_TTABLE) {
        return luaL_error(L, "schema.migrations: expected a list of {description = ..., sql = ...}");
    }
    const int m = lua_gettop(L);
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, m));
    static const char* const k_migration[] = {"description", "sql", "postgresql", nullptr};
    for (lua_Integer i = 1; i <= n; ++i) {
        if (lua_rawgeti(L, m, i) != LUA_TTABLE) {
            return luaL_error(L, "schema.migrations[%d]: expected {description = ..., sql = ...}", static_cast<int>(i));
        }
        const int e = lua_gettop(L);
        only_keys(L, e, k_migration, "a migration of schema.migrations");
        try {
            r->out.schema.migrations.emplace_back();
        } catch (...) {
            return luaL_error(L, "not enough memory");
        }
        sql::Migration& migration = r->out.schema.migrations.back();
        if (lua_getfield(L, e, "description") == LUA_TSTRING) {
            if (!copy_lua_string(migration.description, L, -1)) return luaL_error(L, "not enough memory");
        }
        lua_pop(L, 1);
        if (lua_getfield(L, e, "sql") == LUA_TNIL) {
            return luaL_error(L, "schema.migrations[%d]: no sql", static_cast<int>(i));
        }
        read_texts(L, lua_gettop(L), migration.statements, "sql", i);
        lua_pop(L, 1);
        if (lua_getfield(L, e, "postgresql") != LUA_TNIL) {
            read_texts(L, lua_gettop(L), migration.postgresql_statements, "postgresql", i);
        }
        lua_pop(L, 2);
    }
    return 0;
}

// --- The projection ----------------------------------------------------------------

using sql::Verdict;

class LuaProjection final : public sql::ProjectionPlugin<LuaProjection> {
public:
    using Store = ScriptStore;

    LuaProjection(std::unique_ptr<LuaPlugin> script, ScriptSchema schema, sql::ConnectionSettings database,
                  Context& context)
        : ProjectionPlugin(std::move(database), context, "Lua projection " + schema.schema.component, schema.schema),
          script_(std::move(script)),
          checkpoint_table_(std::move(schema.checkpoint_table)),
          version_table_(schema.schema.version_table) {}

    void configure_session(soci::session& session, sql::Backend) {
        session << sql::checkpoint_table_ddl(checkpoint_table_);
    }
    std::unique_ptr<Store> open_store(std::unique_ptr<soci::session> session, sql::Backend backend) {
        return make_script_store(std::move(session), backend, checkpoint_table_,
                                 {checkpoint_table_, "fanout_schema_history", version_table_});
    }
    void prepare(std::span<const Event* const> events) { events_ = events; }

    const NoChanges& project(Store& store, std::vector<Verdict>& verdicts) {
        const std::size_t n = events_.size();
        verdicts.assign(n, Verdict{});
        outcomes_.assign(n, Outcome::done());
        store.start_batch();
        script_->begin_events(events_, outcomes_, store);
        struct End {
            LuaPlugin& script;
            ~End() { script.end_events(); }
        } end{*script_};
        for (std::size_t from = 0; from < n;) {
            store.savepoint();
            store.start_run(from);
            std::optional<std::size_t> failed;
            for (std::size_t i = from; i < n && !store.failure(); ++i) {
                if (verdicts[i].kind == Verdict::Kind::deferred) continue;
                outcomes_[i] = Outcome::done();
                script_->run_event(i);
                if (!store.failure() && !outcomes_[i].is_done()) {
                    failed = i;
                    break;
                }
            }
            if (!failed && !store.failure()) store.finish();
            const std::optional<SqlFailure>& failure = store.failure();
            if (failure && failure->status == ScriptSql::Status::database_down) {
                throw sql::DatabaseError(failure->message);
            }
            std::size_t k = 0;
            Verdict verdict;
            if (failure) {
                k = failure->event;
                verdict = {Verdict::Kind::rejected, failure->message};
            } else if (failed) {
                k = *failed;
                const Outcome& o = outcomes_[k];
                verdict = {o.kind() == Outcome::Kind::reject   ? Verdict::Kind::rejected
                           : o.kind() == Outcome::Kind::failed ? Verdict::Kind::failed
                                                               : Verdict::Kind::deferred,
                           o.reason()};
            } else {
                store.release();
                break;
            }
            // Undo the run, apply the events before the failed one again
            // from their recorded calls, and go on after it; its partition's
            // later events come again once it is settled (the checkpoint
            // stops there).
            store.rollback_to_savepoint();
            store.replay(from, k);
            verdicts[k] = std::move(verdict);
            for (std::size_t j = k + 1; j < n; ++j) {
                if (events_[j]->partition() == events_[k]->partition() && events_[j]->topic() == events_[k]->topic()) {
                    verdicts[j] = {Verdict::Kind::deferred, "after a failed event of its partition"};
                }
            }
            store.release();
            from = k + 1;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (verdicts[i].kind == Verdict::Kind::applied && !store.called(i)) verdicts[i].kind = Verdict::Kind::ignored;
        }
        return none_;
    }

private:
    std::unique_ptr<LuaPlugin> script_;
    std::string checkpoint_table_;
    std::string version_table_;
    std::span<const Event* const> events_;
    std::vector<Outcome> outcomes_;
    NoChanges none_;
};

}  // namespace

ScriptSchema read_schema(LuaPlugin& script, std::string_view plugin) {
    SchemaReading r;
    script.read_script(&read_schema_global, &r);
    const auto refuse = [](const std::string& message) { return LuaScriptError(message, 0, message); };
    if (!r.present) {
        throw refuse(
            "a Lua projection (lua.connection) declares its tables: schema = { component = \"name\", migrations = { "
            "{ description = \"...\", sql = { \"CREATE TABLE ...\" } } } }");
    }
    ScriptSchema& s = r.out;
    if (s.schema.component.empty()) {
        for (const char c : plugin) s.schema.component += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    if (!sql::plain_identifier(s.schema.component)) {
        throw refuse("schema.component '" + s.schema.component +
                     "': a name of letters, digits and _ (at most 63), not starting with a digit");
    }
    if (s.checkpoint_table.empty()) s.checkpoint_table = s.schema.component + "_checkpoints";
    if (!sql::plain_identifier(s.checkpoint_table)) {
        throw refuse("schema.checkpoint_table '" + s.checkpoint_table +
                     "': a table name of letters, digits and _ (at most 63), not starting with a digit");
    }
    for (std::size_t i = 0; i < s.schema.migrations.size(); ++i) {
        if (s.schema.migrations[i].description.empty()) {
            s.schema.migrations[i].description = "migration " + std::to_string(i + 1);
        }
    }
    return std::move(s);
}

std::unique_ptr<Plugin> make_lua_projection(std::unique_ptr<LuaPlugin> script, ScriptSchema schema,
                                            sql::ConnectionSettings database, Context& context) {
    auto plugin = std::make_unique<LuaProjection>(std::move(script), std::move(schema), std::move(database), context);
    plugin->start();
    return plugin;
}

}  // namespace fanout::daemon::lua
