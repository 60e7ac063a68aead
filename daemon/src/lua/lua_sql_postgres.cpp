// The PostgreSQL store of a Lua SQL projection (lua_sql.hpp): calls queued
// and sent pipelined, each failure charged to the event that made the call.
#include "lua/lua_sql.hpp"

#include <algorithm>
#include <string_view>

#include <soci/soci.h>

#include "fanout/sql/errors.hpp"
#include "fanout/sql/named_statement.hpp"
#include "fanout/sql/postgres_connection.hpp"

namespace fanout::daemon::lua {
namespace {

using sql::DatabaseError;

class PostgresScriptStore final : public sql::PostgresBatchStore<ScriptStore> {
public:
    PostgresScriptStore(std::unique_ptr<soci::session> session, const std::string& checkpoint_table)
        : sql::PostgresBatchStore<ScriptStore>(std::move(session), checkpoint_table, "fanout_lua_advance") {}

    Status run_call(lua_State* L, std::string_view text, int params, bool query, std::size_t event,
                    std::string_view where) override {
        Prepared* p = statement(text, where, event);
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

    Prepared* statement(std::string_view text, std::string_view where, std::size_t event) {
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
                const std::string message = "fanout.sql: " + sql::one_line(e.what()) + " in: " + excerpt(text);
                if (sql::is_transient(e.what())) {
                    fail(event, Status::database_down, message);  // a lock timeout: the batch is retried
                } else {
                    refuse(where, message);
                }
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
                sql::one_line(failure->message) + (failure->sqlstate.empty() ? "" : " (sqlstate " + failure->sqlstate + ")");
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

std::unique_ptr<ScriptStore> make_postgres_script_store(std::unique_ptr<soci::session> session,
                                                        const std::string& checkpoint_table) {
    return std::make_unique<PostgresScriptStore>(std::move(session), checkpoint_table);
}

}  // namespace fanout::daemon::lua
