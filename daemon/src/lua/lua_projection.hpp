#pragma once
// A Lua script as an exactly-once SQL projection (`lua.connection` in its
// plugin entry): on_event writes with fanout.sql.exec / fanout.sql.query, in
// the batch's transaction with the checkpoints (the engine of
// fanout/sql/projection_plugin.hpp), so its effects count once across crashes,
// replays and restarts. The script declares its tables:
//
//   schema = {
//     component = "trending",          -- its name in schema_version (default: the plugin's name)
//     checkpoint_table = "...",        -- optional; default <component>_checkpoints
//     migrations = {                   -- applied once, in order; append, never edit
//       { description = "activity per post and hour",
//         sql = { "CREATE TABLE ...", "CREATE INDEX ..." },
//         postgresql = { ... } },      -- optional: what PostgreSQL runs instead
//     },
//   }
//
// A batch runs its events' on_event calls under one savepoint. When an event
// fails — a statement the database refuses for it (rejected: dead-lettered
// with the database's message), event:reject() (rejected), or a script error
// (retried, then dead-lettered by the retry policy) — the batch rolls back to
// the savepoint, the calls recorded for the events before it run again
// (without running the script again), its partition's later events wait for
// the next batch, and the rest runs on. A database that fails retries the
// whole batch. After a failure on_event may run again for events after the
// failed one: keep a projection's state in its tables, not in Lua variables.
#include <memory>
#include <string>
#include <string_view>

#include "fanout/sql/migrations.hpp"
#include "fanout/sql/settings.hpp"
#include "lua/lua_plugin.hpp"

namespace fanout::daemon::lua {

struct ScriptSchema {
    sql::Schema schema;
    std::string checkpoint_table;
};

/// The script's `schema` global, checked. `plugin` names the default
/// component. Throws LuaScriptError (no schema, wrong shape, bad names).
ScriptSchema read_schema(LuaPlugin& script, std::string_view plugin);

/// The projection running `script` (made with projection = true, init done)
/// on `database`, started (connected and migrated, or retrying).
std::unique_ptr<Plugin> make_lua_projection(std::unique_ptr<LuaPlugin> script, ScriptSchema schema,
                                            sql::ConnectionSettings database, Context& context);

}  // namespace fanout::daemon::lua
