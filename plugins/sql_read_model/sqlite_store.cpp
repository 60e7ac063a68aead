#include "sqlite_store.hpp"

#include <string>

namespace fanout::plugins::sql_read_model {

using namespace sqlite_api;

SqliteStore::SqliteStore(std::unique_ptr<soci::session> session, int wal_limit)
    : Store(std::move(session)),
      db_(static_cast<soci::sqlite3_session_backend*>(session_->get_backend())->conn_),
      load_post_(prepare("SELECT applied_version, 0 FROM posts WHERE post_id = ?1"
                         " UNION ALL SELECT applied_version, 1 FROM removed_posts WHERE post_id = ?1")),
      insert_post_(prepare("INSERT INTO posts (post_id, author, message, date_posted, likes, applied_version)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
      update_post_(prepare("UPDATE posts SET message = COALESCE(?2, message), likes = likes + ?3,"
                           " applied_version = ?4 WHERE post_id = ?1 AND applied_version = ?5")),
      delete_post_(prepare("DELETE FROM posts WHERE post_id = ?1 AND applied_version = ?2")),
      delete_post_comments_(prepare("DELETE FROM comments WHERE post_id = ?1")),
      insert_tombstone_(prepare("INSERT INTO removed_posts (post_id, applied_version) VALUES (?1, ?2)")),
      upsert_comment_(prepare("INSERT INTO comments (comment_id, post_id, username, comment, comment_date, edited)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (comment_id) DO UPDATE SET"
                              " username = excluded.username, comment = excluded.comment,"
                              " comment_date = excluded.comment_date, edited = excluded.edited"
                              " WHERE comments.post_id = excluded.post_id")),
      update_comment_(prepare("UPDATE comments SET comment = ?3, comment_date = ?4, edited = 1"
                              " WHERE comment_id = ?1 AND post_id = ?2")),
      delete_comment_(prepare("DELETE FROM comments WHERE comment_id = ?1 AND post_id = ?2")),
      advance_(prepare("UPDATE checkpoints SET next_offset = ?5"
                       " WHERE consumer_group = ?1 AND topic = ?2 AND partition_id = ?3 AND next_offset = ?4")),
      wal_limit_(wal_limit) {
    const char* file = sqlite3_db_filename(db_, "main");
    if (file != nullptr && *file != '\0') checkpointer_ = std::make_unique<WalCheckpointer>(file);
    // Replaces the automatic checkpoint (wal_checkpointer.hpp: half way on
    // the checkpointer's thread, at the limit in place).
    sqlite3_wal_hook(db_, &SqliteStore::on_commit, this);
}

int SqliteStore::on_commit(void* self, sqlite3* db, const char* name, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    if (frames >= store->wal_limit_) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (store->checkpointer_ && frames >= store->wal_limit_ / 2) {
        store->checkpointer_->request();
    }
    return SQLITE_OK;
}

SqliteStore::~SqliteStore() {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();
}

SqliteStore::Statement SqliteStore::prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
        throw StoreError(std::string("sqlite: cannot prepare statement: ") + sqlite3_errmsg(db_));
    }
    return Statement(statement, &sqlite3_finalize);
}

void SqliteStore::fail(const char* what) {
    const int code = sqlite3_extended_errcode(db_);
    // Busy/locked/full leave the connection usable; I/O or corruption may not.
    const int primary = code & 0xff;
    if (primary != SQLITE_BUSY && primary != SQLITE_LOCKED && primary != SQLITE_FULL && primary != SQLITE_CONSTRAINT) {
        broken_ = true;
    }
    throw StoreError(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_) + " (code " + std::to_string(code) +
                     ")");
}

void SqliteStore::exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
}

void SqliteStore::bind(sqlite3_stmt* statement, int index, std::string_view text) {
    // The text outlives the step: it points into the batch's events.
    if (sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC) != SQLITE_OK) {
        fail("bind");
    }
}

void SqliteStore::bind(sqlite3_stmt* statement, int index, std::int64_t value) {
    if (sqlite3_bind_int64(statement, index, value) != SQLITE_OK) fail("bind");
}

int SqliteStore::run(sqlite3_stmt* statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) fail(sqlite3_sql(statement));
    return sqlite3_changes(db_);
}

void SqliteStore::begin() {
    // IMMEDIATE: take the write lock now (waiting up to the busy timeout), so
    // two writers never deadlock upgrading a read snapshot.
    exec("BEGIN IMMEDIATE");
}

void SqliteStore::load_posts(std::span<const std::string_view> ids, StoredPosts& out) {
    out.assign(ids.size(), std::nullopt);
    sqlite3_stmt* s = load_post_.get();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        bind(s, 1, ids[i]);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            out[i] = StoredPost{sqlite3_column_int(s, 1) != 0, sqlite3_column_int64(s, 0)};
            rc = SQLITE_DONE;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) fail("load posts");
    }
}

void SqliteStore::write(const ChangeSet& changes) {
    for (const CommentDeletion& c : changes.comment_deletions) {
        bind(delete_comment_.get(), 1, c.comment_id);
        bind(delete_comment_.get(), 2, c.post_id);
        run(delete_comment_.get());
    }
    for (const PostDeletion& p : changes.post_deletions) {
        bind(delete_post_comments_.get(), 1, p.post_id);
        run(delete_post_comments_.get());
        bind(delete_post_.get(), 1, p.post_id);
        bind(delete_post_.get(), 2, p.expected_version);
        if (run(delete_post_.get()) != 1)
            throw ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
    }
    for (const NewPost& p : changes.new_posts) {
        sqlite3_stmt* s = insert_post_.get();
        bind(s, 1, p.post_id);
        bind(s, 2, p.author);
        bind(s, 3, p.message);
        bind(s, 4, p.date_posted);
        bind(s, 5, p.likes);
        bind(s, 6, p.version);
        run(s);
    }
    for (const PostUpdate& p : changes.post_updates) {
        sqlite3_stmt* s = update_post_.get();
        bind(s, 1, p.post_id);
        if (p.message) {
            bind(s, 2, *p.message);
        } else if (sqlite3_bind_null(s, 2) != SQLITE_OK) {
            fail("bind");
        }
        bind(s, 3, p.likes_added);
        bind(s, 4, p.version);
        bind(s, 5, p.expected_version);
        if (run(s) != 1) throw ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
    }
    for (const CommentUpsert& c : changes.comment_upserts) {
        sqlite3_stmt* s = upsert_comment_.get();
        bind(s, 1, c.comment_id);
        bind(s, 2, c.post_id);
        bind(s, 3, c.username);
        bind(s, 4, c.comment);
        bind(s, 5, c.comment_date);
        bind(s, 6, std::int64_t{c.edited ? 1 : 0});
        run(s);
    }
    for (const CommentUpdate& c : changes.comment_updates) {
        sqlite3_stmt* s = update_comment_.get();
        bind(s, 1, c.comment_id);
        bind(s, 2, c.post_id);
        bind(s, 3, c.comment);
        bind(s, 4, c.comment_date);
        run(s);
    }
    for (const Tombstone& t : changes.tombstones) {
        bind(insert_tombstone_.get(), 1, t.post_id);
        bind(insert_tombstone_.get(), 2, t.version);
        run(insert_tombstone_.get());
    }
}

bool SqliteStore::advance(std::string_view group, std::span<const CheckpointAdvance> advances) {
    sqlite3_stmt* s = advance_.get();
    for (const CheckpointAdvance& a : advances) {
        bind(s, 1, group);
        bind(s, 2, a.topic);
        bind(s, 3, std::int64_t{a.partition});
        bind(s, 4, a.expected);
        bind(s, 5, a.next);
        if (run(s) != 1) return false;
    }
    return true;
}

void SqliteStore::commit() { exec("COMMIT"); }

bool SqliteStore::rollback() noexcept {
    if (sqlite3_get_autocommit(db_) != 0) return !broken_;  // no transaction open
    if (sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK) {
        broken_ = true;
        return false;
    }
    return !broken_;
}

}  // namespace fanout::plugins::sql_read_model
