#pragma once
// SQLite: one IMMEDIATE transaction per batch (WAL), one reused prepared
// statement per kind of row change, bound without copying
// (fanout/sql/sqlite_connection.hpp).
#include <memory>

#include "fanout/sql/batch_store.hpp"
#include "store.hpp"

namespace fanout::plugins::analytics {

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    /// `session` is an open sqlite3 SOCI session with the tables in place.
    explicit SqliteStore(std::unique_ptr<soci::session> session);

    void load(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;

private:
    using Statement = sql::SqliteConnection::Statement;

    Statement load_post_, insert_post_, update_post_, add_author_, add_day_;
};

}  // namespace fanout::plugins::analytics
