#pragma once
// PostgreSQL: one statement per kind of row change per batch (arrays passed
// as one literal each, unnested server-side), prepared once per connection,
// through libpq on SOCI's connection. SOCI's bulk binding would be a round
// trip per row (DESIGN.md, SQL).
#include <memory>
#include <string>

#include <libpq-fe.h>

#include "pg_array.hpp"
#include "store.hpp"

namespace fanout::plugins::analytics {

class PostgresStore final : public Store {
public:
    /// `session` is an open postgresql SOCI session with the schema in place.
    explicit PostgresStore(std::unique_ptr<soci::session> session);

    Backend backend() const noexcept override { return Backend::postgresql; }
    void begin() override;
    void load_posts(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) override;
    void commit() override;
    bool rollback() noexcept override;
    bool usable() const noexcept override;

private:
    struct ResultDeleter {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };
    using Result = std::unique_ptr<PGresult, ResultDeleter>;

    /// Run a prepared statement with text parameters; throws StoreError.
    Result run(const char* name, std::initializer_list<const std::string*> params, ExecStatusType expected);
    Result exec(const char* sql, ExecStatusType expected);
    Result check(PGresult* result, ExecStatusType expected, const char* what);
    /// Rows a command touched.
    static long affected(const Result& result);

    PGconn* conn_;
    bool broken_ = false;
    PgArray a_[6];
    std::string group_;
};

}  // namespace fanout::plugins::analytics
