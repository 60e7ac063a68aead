#pragma once
// SQLite: one IMMEDIATE transaction per batch (WAL), one reused prepared
// statement per kind of row change, bound without copying
// (fanout/sql/sqlite_connection.hpp).
#include <memory>

#include "fanout/sql/sqlite_connection.hpp"
#include "store.hpp"

namespace fanout::plugins::analytics {

class SqliteStore final : public Store {
public:
    /// `session` is an open sqlite3 SOCI session with the tables in place.
    explicit SqliteStore(std::unique_ptr<soci::session> session);

    sql::Backend backend() const noexcept override { return sql::Backend::sqlite; }
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
    using Statement = sql::SqliteConnection::Statement;

    sql::SqliteConnection db_;
    Statement load_post_, insert_post_, update_post_, add_author_, add_day_;
    sql::SqliteCheckpoints checkpoints_;
};

}  // namespace fanout::plugins::analytics
