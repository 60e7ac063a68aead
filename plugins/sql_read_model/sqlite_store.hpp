#pragma once
// SQLite: one IMMEDIATE transaction per batch (WAL), one reused prepared
// statement per kind of row change, bound without copying
// (fanout/sql/sqlite_connection.hpp).
#include <memory>

#include "fanout/sql/batch_store.hpp"
#include "store.hpp"

namespace fanout::plugins::sql_read_model {

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    /// `session` is an open sqlite3 SOCI session with the schema in place.
    explicit SqliteStore(std::unique_ptr<soci::session> session);

    void load(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;

private:
    using Statement = sql::SqliteConnection::Statement;

    Statement load_post_, insert_post_, update_post_, delete_post_, delete_post_comments_, insert_tombstone_,
        upsert_comment_, update_comment_, delete_comment_;
};

}  // namespace fanout::plugins::sql_read_model
