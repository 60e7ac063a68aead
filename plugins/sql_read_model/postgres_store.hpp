#pragma once
// PostgreSQL: one statement per kind of row change per batch (arrays passed
// as one literal each, unnested server-side), prepared once per connection
// (fanout/sql/postgres_connection.hpp).
#include <memory>

#include "fanout/sql/batch_store.hpp"
#include "store.hpp"

namespace fanout::plugins::sql_read_model {

class PostgresStore final : public sql::PostgresBatchStore<Store> {
public:
    /// `session` is an open postgresql SOCI session with the schema in place.
    explicit PostgresStore(std::unique_ptr<soci::session> session);

    void load(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;
};

}  // namespace fanout::plugins::sql_read_model
