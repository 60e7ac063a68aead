#pragma once
// PostgreSQL: one statement per kind of row change per batch (arrays passed
// as one literal each, unnested server-side), prepared once per connection
// (fanout/sql/postgres_connection.hpp).
#include <memory>

#include "fanout/sql/postgres_connection.hpp"
#include "store.hpp"

namespace fanout::plugins::sql_read_model {

class PostgresStore final : public Store {
public:
    /// `session` is an open postgresql SOCI session with the schema in place.
    explicit PostgresStore(std::unique_ptr<soci::session> session);

    sql::Backend backend() const noexcept override { return sql::Backend::postgresql; }
    void begin() override { db_.begin(); }
    void load_posts(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) override {
        return checkpoints_.advance(group, advances);
    }
    void commit() override { db_.commit(); }
    bool rollback() noexcept override { return db_.rollback(); }
    bool usable() const noexcept override { return db_.usable(); }

private:
    sql::PostgresConnection db_;
    sql::PostgresCheckpoints checkpoints_;
    sql::PgArray a_[6];
};

}  // namespace fanout::plugins::sql_read_model
