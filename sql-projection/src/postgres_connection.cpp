#include "fanout/sql/postgres_connection.hpp"

#include <soci/postgresql/soci-postgresql.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fanout/sql/errors.hpp"

namespace fanout::sql {
namespace {

std::string trimmed(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

PostgresConnection::PostgresConnection(soci::session& session)
    : conn_(static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_) {}

void PostgresConnection::prepare(const PreparedSql& statement) {
    check(PQprepare(conn_, statement.name, statement.sql, 0, nullptr), PGRES_COMMAND_OK, statement.name);
}

PostgresConnection::Result PostgresConnection::check(PGresult* raw, ExecStatusType expected, const char* what) {
    Result result(raw);
    if (result && PQresultStatus(result.get()) == expected) return result;
    std::string message = "postgresql: " + std::string(what) + ": ";
    if (result) {
        message += trimmed(PQresultErrorMessage(result.get()));
        if (const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE)) {
            message += std::string(" (sqlstate ") + state + ")";
        }
    } else {
        message += trimmed(PQerrorMessage(conn_));
    }
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    throw DatabaseError(message);
}

PostgresConnection::Result PostgresConnection::run(const char* name, std::initializer_list<const std::string*> params,
                                                   ExecStatusType expected) {
    if (params.size() > static_cast<std::size_t>(k_max_params)) {
        throw std::logic_error(std::string("postgresql: ") + name + ": too many parameters");
    }
    const char* values[k_max_params];
    int n = 0;
    for (const std::string* p : params) values[n++] = p->c_str();
    Result r = check(PQexecPrepared(conn_, name, n, values, nullptr, nullptr, 0), expected, name);
    if (expected == PGRES_COMMAND_OK) rows_ += static_cast<std::uint64_t>(affected(r));
    return r;
}

std::int64_t PostgresConnection::integer(const Result& result, int row, int column) {
    return std::strtoll(PQgetvalue(result.get(), row, column), nullptr, 10);
}

void PostgresConnection::bad_position(const char* statement) {
    throw DatabaseError(std::string("postgresql: ") + statement + ": a row's position is outside the keys");
}

PostgresConnection::Result PostgresConnection::run_arrays(const char* name, std::size_t n) {
    const char* values[k_max_params];
    for (std::size_t k = 0; k < n; ++k) values[k] = columns_[k].literal().c_str();
    Result r =
        check(PQexecPrepared(conn_, name, static_cast<int>(n), values, nullptr, nullptr, 0), PGRES_COMMAND_OK, name);
    rows_ += static_cast<std::uint64_t>(affected(r));
    return r;
}

bool transient_sqlstate(std::string_view sqlstate) noexcept {
    if (sqlstate.size() != 5) return false;
    const std::string_view cls = sqlstate.substr(0, 2);
    return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" || sqlstate == "55P03";
}

std::optional<PgCallFailure> PostgresConnection::run_pipelined(std::span<const PgCall> calls, Result* last_result) {
    std::vector<const char*> values;
    for (std::size_t first = 0; first < calls.size(); first += k_pipeline_calls) {
        const std::size_t last = std::min(calls.size(), first + k_pipeline_calls);
        if (PQenterPipelineMode(conn_) != 1) {
            broken_ = PQstatus(conn_) != CONNECTION_OK;
            throw DatabaseError("postgresql: cannot enter pipeline mode: " + trimmed(PQerrorMessage(conn_)));
        }
        const auto lost = [&](const char* what) {
            const std::string message = trimmed(PQerrorMessage(conn_));
            broken_ = true;  // the pipeline's state is unknown: start over on a new connection
            throw DatabaseError(std::string("postgresql: ") + what + ": " + message);
        };
        for (std::size_t i = first; i < last; ++i) {
            values.clear();
            for (const auto& v : calls[i].values) values.push_back(v ? v->c_str() : nullptr);
            if (PQsendQueryPrepared(conn_, calls[i].statement, static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0) != 1) {
                lost("sending a pipelined statement");
            }
        }
        if (PQpipelineSync(conn_) != 1) lost("pipeline sync");
        // Each call's result is followed by a null; the sync's result ends the pipeline.
        std::optional<PgCallFailure> failure;
        std::size_t index = first;
        for (int nulls = 0;;) {
            PGresult* raw = PQgetResult(conn_);
            if (raw == nullptr) {
                if (++nulls > 2) lost("the pipeline ended without its sync");
                continue;
            }
            nulls = 0;
            Result r(raw);
            const ExecStatusType status = PQresultStatus(r.get());
            if (status == PGRES_PIPELINE_SYNC) break;
            if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
                rows_ += static_cast<std::uint64_t>(affected(r));
                if (last_result != nullptr && index + 1 == calls.size()) *last_result = std::move(r);
            } else if (status == PGRES_FATAL_ERROR) {
                if (!failure) {
                    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
                    failure = PgCallFailure{index, trimmed(PQresultErrorMessage(r.get())), state != nullptr ? state : ""};
                }
            } else if (status != PGRES_PIPELINE_ABORTED) {
                lost("unexpected pipelined result");
            }
            ++index;
        }
        if (PQexitPipelineMode(conn_) != 1) {
            while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
            if (PQexitPipelineMode(conn_) != 1) lost("leaving pipeline mode");
        }
        if (PQstatus(conn_) != CONNECTION_OK) lost("connection");
        if (failure && failure->index >= last) lost("a pipelined result without its call");
        if (failure) return failure;
    }
    return std::nullopt;
}

PostgresConnection::Result PostgresConnection::exec(const char* sql, ExecStatusType expected) {
    return check(PQexec(conn_, sql), expected, sql);
}

long PostgresConnection::affected(const Result& result) { return std::strtol(PQcmdTuples(result.get()), nullptr, 10); }

bool PostgresConnection::usable() const noexcept { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

void PostgresConnection::begin() {
    exec("BEGIN", PGRES_COMMAND_OK);
    rows_ = 0;
}

void PostgresConnection::commit() {
    const Result r = exec("COMMIT", PGRES_COMMAND_OK);
    // COMMIT of a failed transaction "succeeds" as ROLLBACK.
    if (std::strcmp(PQcmdStatus(r.get()), "COMMIT") != 0) throw DatabaseError("postgresql: transaction rolled back");
}

bool PostgresConnection::rollback() noexcept {
    switch (PQtransactionStatus(conn_)) {
        case PQTRANS_IDLE: return usable();
        case PQTRANS_UNKNOWN:
        case PQTRANS_ACTIVE: broken_ = true; return false;
        default: break;
    }
    PGresult* r = PQexec(conn_, "ROLLBACK");
    const bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) broken_ = true;
    return ok && usable();
}

PostgresCheckpoints::PostgresCheckpoints(PostgresConnection& connection, std::string statement_name,
                                         std::string_view table)
    : connection_(connection), name_(std::move(statement_name)) {
    const std::string sql = "UPDATE " + std::string(table) +
                            " AS c SET next_offset = u.next"
                            " FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[])"
                            " AS u(topic, partition_id, expected, next)"
                            " WHERE c.consumer_group = $1 AND c.topic = u.topic AND c.partition_id = u.partition_id"
                            " AND c.next_offset = u.expected";
    connection_.prepare({name_.c_str(), sql.c_str()});
}

bool PostgresCheckpoints::advance(std::string_view group, std::span<const CheckpointAdvance> advances) {
    if (advances.empty()) return true;
    group_.assign(group);
    for (PgArray* a : {&topics_, &partitions_, &expected_, &next_}) a->clear();
    for (const CheckpointAdvance& a : advances) {
        topics_.add(a.topic);
        partitions_.add(std::int64_t{a.partition});
        expected_.add(a.expected);
        next_.add(a.next);
    }
    const PostgresConnection::Result r = connection_.run(
        name_.c_str(), {&group_, &topics_.literal(), &partitions_.literal(), &expected_.literal(), &next_.literal()},
        PGRES_COMMAND_OK);
    return PostgresConnection::affected(r) == static_cast<long>(advances.size());
}

}  // namespace fanout::sql
