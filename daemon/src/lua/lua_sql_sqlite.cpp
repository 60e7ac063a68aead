// The SQLite store of a Lua SQL projection (lua_sql.hpp): statements
// prepared once per connection, the sandbox enforced by an authorizer.
#include "lua/lua_sql.hpp"

#include <algorithm>
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/errors.hpp"
#include "fanout/sql/named_statement.hpp"
#include "fanout/sql/sqlite_connection.hpp"

#include <soci/sqlite3/soci-sqlite3.h>

namespace fanout::daemon::lua {
namespace {

using sql::DatabaseError;

using sqlite_api::sqlite3;
using sqlite_api::sqlite3_stmt;

class SqliteScriptStore final : public sql::SqliteBatchStore<ScriptStore> {
public:
    SqliteScriptStore(std::unique_ptr<soci::session> session, const std::string& checkpoint_table)
        : sql::SqliteBatchStore<ScriptStore>(std::move(session), checkpoint_table) {}

    Status run_call(lua_State* L, std::string_view text, int params, bool query, std::size_t event,
                    std::string_view where) override {
        Prepared* p = statement(text, where);
        if (p == nullptr || !bind_values(L, params, p->named, where, values_)) return Status::script_error;
        if (query) rows_.clear();
        const Status status = run(*p, values_, query ? &rows_ : nullptr, event, where);
        if (status != Status::ok) return status;
        recorded_.push_back(Recorded{event, p, values_});
        mark_called(event);
        return Status::ok;
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

}  // namespace

std::unique_ptr<ScriptStore> make_sqlite_script_store(std::unique_ptr<soci::session> session,
                                                      const std::string& checkpoint_table) {
    return std::make_unique<SqliteScriptStore>(std::move(session), checkpoint_table);
}

}  // namespace fanout::daemon::lua
