#pragma once
// SQLite: one IMMEDIATE transaction per batch (WAL), one reused prepared
// statement per kind of row change, bound without copying.
#include <memory>

// SOCI declares the SQLite API inside namespace sqlite_api.
#include <soci/sqlite3/soci-sqlite3.h>

#include "store.hpp"
#include "wal_checkpointer.hpp"

namespace fanout::plugins::sql_read_model {

class SqliteStore final : public Store {
public:
    /// `session` is an open sqlite3 SOCI session with the schema in place.
    /// `wal_limit` (frames) is where a commit checkpoints the WAL itself; a
    /// file database checkpoints from half of it on a WalCheckpointer.
    SqliteStore(std::unique_ptr<soci::session> session, int wal_limit);
    ~SqliteStore() override;

    read_model::Backend backend() const noexcept override { return read_model::Backend::sqlite; }
    void begin() override;
    void load_posts(std::span<const std::string_view> ids, StoredPosts& out) override;
    void write(const ChangeSet& changes) override;
    bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) override;
    void commit() override;
    bool rollback() noexcept override;
    bool usable() const noexcept override { return !broken_; }

private:
    using sqlite3 = sqlite_api::sqlite3;
    using sqlite3_stmt = sqlite_api::sqlite3_stmt;
    using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

    Statement prepare(const char* sql);
    void exec(const char* sql);
    /// Step a bound statement that returns no rows; returns sqlite3_changes().
    int run(sqlite3_stmt* statement);
    void bind(sqlite3_stmt* statement, int index, std::string_view text);
    void bind(sqlite3_stmt* statement, int index, std::int64_t value);
    [[noreturn]] void fail(const char* what);
    /// sqlite3_wal_hook: after each commit, with the frames now in the WAL.
    static int on_commit(void* self, sqlite3* db, const char* name, int frames);

    sqlite3* db_;
    bool broken_ = false;
    Statement load_post_, insert_post_, update_post_, delete_post_, delete_post_comments_, insert_tombstone_,
        upsert_comment_, update_comment_, delete_comment_, advance_;
    int wal_limit_;
    std::unique_ptr<WalCheckpointer> checkpointer_;  ///< null for an in-memory database
};

}  // namespace fanout::plugins::sql_read_model
