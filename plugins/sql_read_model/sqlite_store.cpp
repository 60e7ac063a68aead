// The read model on SQLite: a reused prepared statement per kind of row change,
// bound without copying, in one IMMEDIATE transaction per batch (WAL).
#include "change_set.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"

#include <string>

namespace fanout::plugins::sql_read_model {

namespace {

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    explicit SqliteStore(std::unique_ptr<soci::session> session)
        : sql::SqliteBatchStore<Store>(std::move(session), read_model::k_checkpoint_table),
          load_post_(db_.prepare("SELECT applied_version, 0 FROM posts WHERE post_id = ?1"
                                 " UNION ALL SELECT applied_version, 1 FROM removed_posts WHERE post_id = ?1")),
          insert_post_(db_.prepare("INSERT INTO posts (post_id, author, message, date_posted, likes, applied_version)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
          update_post_(db_.prepare("UPDATE posts SET message = COALESCE(?2, message), likes = likes + ?3,"
                                   " applied_version = ?4 WHERE post_id = ?1 AND applied_version = ?5")),
          delete_post_(db_.prepare("DELETE FROM posts WHERE post_id = ?1 AND applied_version = ?2")),
          delete_post_comments_(db_.prepare("DELETE FROM comments WHERE post_id = ?1")),
          insert_tombstone_(db_.prepare("INSERT INTO removed_posts (post_id, applied_version) VALUES (?1, ?2)")),
          upsert_comment_(db_.prepare("INSERT INTO comments (comment_id, post_id, username, comment, comment_date, edited)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (comment_id) DO UPDATE SET"
                                      " username = excluded.username, comment = excluded.comment,"
                                      " comment_date = excluded.comment_date, edited = excluded.edited"
                                      " WHERE comments.post_id = excluded.post_id")),
          update_comment_(db_.prepare("UPDATE comments SET comment = ?3, comment_date = ?4, edited = 1"
                                      " WHERE comment_id = ?1 AND post_id = ?2")),
          delete_comment_(db_.prepare("DELETE FROM comments WHERE comment_id = ?1 AND post_id = ?2")) {}

    void load(std::span<const std::string_view> ids, StoredPosts& out) override {
        out.assign(ids.size(), std::nullopt);
        db_.lookup(load_post_.get(), ids, [&](std::size_t i, auto* row) {
            out[i] = StoredPost{sqlite_api::sqlite3_column_int(row, 1) != 0, sqlite_api::sqlite3_column_int64(row, 0)};
        });
    }

    void write(const ChangeSet& changes) override {
        for (const CommentDeletion& c : changes.comment_deletions) db_.run(delete_comment_.get(), c.comment_id, c.post_id);
        for (const PostDeletion& p : changes.post_deletions) {
            db_.run(delete_post_comments_.get(), p.post_id);
            if (db_.run(delete_post_.get(), p.post_id, p.expected_version) != 1)
                throw sql::ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
        }
        for (const NewPost& p : changes.new_posts) {
            db_.run(insert_post_.get(), p.post_id, p.author, p.message, p.date_posted, p.likes, p.version);
        }
        for (const PostUpdate& p : changes.post_updates) {
            if (db_.run(update_post_.get(), p.post_id, p.message, p.likes_added, p.version, p.expected_version) != 1)
                throw sql::ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
        }
        for (const CommentUpsert& c : changes.comment_upserts) {
            db_.run(upsert_comment_.get(), c.comment_id, c.post_id, c.username, c.comment, c.comment_date, c.edited);
        }
        for (const CommentUpdate& c : changes.comment_updates) {
            db_.run(update_comment_.get(), c.comment_id, c.post_id, c.comment, c.comment_date);
        }
        for (const Tombstone& t : changes.tombstones) db_.run(insert_tombstone_.get(), t.post_id, t.version);
    }

private:
    sql::SqliteConnection::Statement load_post_, insert_post_, update_post_, delete_post_, delete_post_comments_,
        insert_tombstone_, upsert_comment_, update_comment_, delete_comment_;
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(std::unique_ptr<soci::session> session) {
    return std::make_unique<SqliteStore>(std::move(session));
}

}  // namespace fanout::plugins::sql_read_model
