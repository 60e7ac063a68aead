#pragma once
// PostgreSQL through libpq on a SOCI session's connection: statements
// prepared once per connection and run with text parameters, so that a batch
// is one statement per kind of row change (arrays passed as one literal
// each, pg_array.hpp, unnested server-side). SOCI's bulk binding would be a
// round trip per row.
//
// Threading: one PostgresConnection per store, used from the projection's
// pipeline thread.
#include <initializer_list>
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

    PGconn* handle() const noexcept { return conn_; }

private:
    Result check(PGresult* result, ExecStatusType expected, const char* what);

    PGconn* conn_;
    bool broken_ = false;
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
