#pragma once
// PostgreSQL through libpq on a SOCI session's connection: statements
// prepared once per connection and run with text parameters, so that a batch
// is one statement per kind of row change (arrays passed as one literal
// each, pg_array.hpp, unnested server-side). SOCI's bulk binding would be a
// round trip per row.
//
// Threading: one PostgresConnection per store, used from the projection's
// pipeline thread.
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <vector>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <libpq-fe.h>
#include <soci/soci.h>

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/pg_array.hpp"

namespace fanout::sql {

/// A named statement to prepare on each connection.
struct PreparedSql {
    const char* name;
    const char* sql;
};

/// One call of a prepared statement: its parameters as text, nullopt for NULL.
struct PgCall {
    const char* statement;
    std::vector<std::optional<std::string>> values;
};

/// A call that failed in run_pipelined: which, and the server's answer.
struct PgCallFailure {
    std::size_t index;
    std::string message;   ///< the server's message, on one line
    std::string sqlstate;  ///< e.g. "23505"; empty when the server gave none
};

/// True for a SQLSTATE that passes by itself: connection exceptions (08),
/// transaction rollbacks (40: serialization failure, deadlock), insufficient
/// resources (53), operator intervention (57: shutdown, cancel), lock not
/// available (55P03), system errors (58).
bool transient_sqlstate(std::string_view sqlstate) noexcept;

class PostgresConnection {
public:
    struct ResultDeleter {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };
    using Result = std::unique_ptr<PGresult, ResultDeleter>;

    /// Most parameters run() passes.
    static constexpr int k_max_params = 8;

    /// `session` is an open postgresql SOCI session that outlives this object.
    explicit PostgresConnection(soci::session& session);
    PostgresConnection(const PostgresConnection&) = delete;
    PostgresConnection& operator=(const PostgresConnection&) = delete;

    /// Prepare `statement` on this connection. Throws DatabaseError.
    void prepare(const PreparedSql& statement);
    /// Run a prepared statement with text parameters; throws DatabaseError
    /// unless the result has the `expected` status.
    Result run(const char* name, std::initializer_list<const std::string*> params, ExecStatusType expected);
    /// Run a prepared statement once for all `rows`, set-based: parameter k
    /// is the array of column k's values (`columns`: member pointers or
    /// callables taking a row; values as PgArray::add_value takes them), and
    /// the statement unnests them ("... FROM unnest($1::text[], $2::bigint[])").
    /// Nothing runs when `rows` is empty. Returns the rows the command touched;
    /// throws DatabaseError.
    template <typename Rows, typename... Columns>
    long run_columns(const PreparedSql& statement, const Rows& rows, Columns... columns) {
        static_assert(sizeof...(Columns) >= 1 && sizeof...(Columns) <= k_max_params, "1 to k_max_params columns");
        if (std::empty(rows)) return 0;
        constexpr std::size_t n = sizeof...(Columns);
        for (std::size_t k = 0; k < n; ++k) columns_[k].clear();
        for (const auto& row : rows) {
            std::size_t k = 0;
            (columns_[k++].add_value(std::invoke(columns, row)), ...);
        }
        return affected(run_arrays(statement.name, n));
    }
    /// Run `statement` with $1 the text array of `keys`; its first column is
    /// the key's 1-based position (FROM unnest($1::text[]) WITH ORDINALITY AS
    /// u(id, i) ... SELECT u.i, ...). `found(i, result, row)` per row, i
    /// 0-based (columns via text(), integer()). Nothing runs for no keys.
    /// Throws DatabaseError.
    template <typename Found>
    void lookup(const PreparedSql& statement, std::span<const std::string_view> keys, Found&& found) {
        if (keys.empty()) return;
        columns_[0].clear();
        for (const std::string_view key : keys) columns_[0].add(key);
        const Result r = run(statement.name, {&columns_[0].literal()}, PGRES_TUPLES_OK);
        for (int row = 0, rows = PQntuples(r.get()); row < rows; ++row) {
            const std::int64_t position = integer(r, row, 0);
            if (position < 1 || static_cast<std::size_t>(position) > keys.size()) bad_position(statement.name);
            found(static_cast<std::size_t>(position - 1), r, row);
        }
    }
    /// A column of a result row: text ("" for NULL), or a text column read as an integer.
    static std::string_view text(const Result& result, int row, int column) {
        return {PQgetvalue(result.get(), row, column), static_cast<std::size_t>(PQgetlength(result.get(), row, column))};
    }
    static std::int64_t integer(const Result& result, int row, int column);
    /// Run `calls` in order in pipeline mode: one round trip per
    /// k_pipeline_calls calls instead of one per call. Stops at the first
    /// call the server refuses and returns it (the calls after it did not run;
    /// inside a transaction, roll back to a savepoint taken before); nullopt
    /// when every call ran. Throws DatabaseError when the connection fails.
    /// `last`, when given, receives the last call's result (its rows) when
    /// every call ran.
    std::optional<PgCallFailure> run_pipelined(std::span<const PgCall> calls, Result* last = nullptr);
    static constexpr std::size_t k_pipeline_calls = 256;
    /// Run SQL without parameters; throws DatabaseError like run().
    Result exec(const char* sql, ExecStatusType expected);
    /// Rows a command touched.
    static long affected(const Result& result);

    /// BEGIN, COMMIT. Throw DatabaseError (also when COMMIT rolled back).
    void begin();
    void commit();
    /// Roll back the open transaction, if any. False when even that failed:
    /// the connection is gone.
    bool rollback() noexcept;
    /// False once the connection is known to be unusable.
    bool usable() const noexcept;
    /// Rows changed by commands (run, run_columns) since begin().
    std::uint64_t rows_written() const noexcept { return rows_; }

    PGconn* handle() const noexcept { return conn_; }

private:
    Result check(PGresult* result, ExecStatusType expected, const char* what);
    [[noreturn]] static void bad_position(const char* statement);
    /// `name` with the first `n` of columns_ as its parameters.
    Result run_arrays(const char* name, std::size_t n);

    PGconn* conn_;
    bool broken_ = false;
    std::uint64_t rows_ = 0;
    std::array<PgArray, k_max_params> columns_;  ///< run_columns' scratch, kept to reuse allocations
};

/// The fenced advance of a checkpoint table (checkpoint_table.hpp) on
/// PostgreSQL: one statement for all partitions of a batch.
class PostgresCheckpoints {
public:
    /// Prepares the advance as `statement_name` on `connection`, which
    /// outlives this object. Throws DatabaseError.
    PostgresCheckpoints(PostgresConnection& connection, std::string statement_name, std::string_view table);

    /// In the open transaction: move each partition's row from `expected` to
    /// `next`. False when a row did not hold its expected offset (fenced);
    /// roll back then. Throws DatabaseError.
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances);

private:
    PostgresConnection& connection_;
    std::string name_;
    PgArray topics_, partitions_, expected_, next_;
    std::string group_;
};

}  // namespace fanout::sql
