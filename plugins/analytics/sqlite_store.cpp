// SQLite: one IMMEDIATE transaction per batch (WAL), one reused prepared statement
// per kind of row change, bound without copying (fanout/sql/sqlite_connection.hpp).
#include "change_set.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"

#include <string>

namespace fanout::plugins::analytics {

using namespace sqlite_api;

namespace {

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    explicit SqliteStore(std::unique_ptr<soci::session> session)
        : sql::SqliteBatchStore<Store>(std::move(session), k_checkpoint_table),
          load_post_(db_.prepare("SELECT applied_version, removed, author FROM analytics_posts WHERE post_id = ?1")),
          insert_post_(
              db_.prepare("INSERT INTO analytics_posts (post_id, author, day_posted, likes, applied_version, removed)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
          update_post_(db_.prepare("UPDATE analytics_posts SET likes = likes + ?2, applied_version = ?3,"
                                   " removed = CASE WHEN ?5 = 1 THEN 1 ELSE removed END"
                                   " WHERE post_id = ?1 AND applied_version = ?4")),
          add_author_(db_.prepare("INSERT INTO analytics_authors (author, posts, comments, likes_received)"
                                  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (author) DO UPDATE SET"
                                  " posts = analytics_authors.posts + excluded.posts,"
                                  " comments = analytics_authors.comments + excluded.comments,"
                                  " likes_received = analytics_authors.likes_received + excluded.likes_received")),
          add_day_(db_.prepare("INSERT INTO analytics_days (day, posts, comments, likes)"
                               " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (day) DO UPDATE SET"
                               " posts = analytics_days.posts + excluded.posts,"
                               " comments = analytics_days.comments + excluded.comments,"
                               " likes = analytics_days.likes + excluded.likes")) {}

    void load(std::span<const std::string_view> ids, StoredPosts& out) override {
        out.assign(ids.size(), std::nullopt);
        db_.lookup(load_post_.get(), ids, [&](std::size_t i, sqlite3_stmt* s) {
            out[i] = StoredPost{sqlite3_column_int(s, 1) != 0, sqlite3_column_int64(s, 0), std::string(db_.text(s, 2))};
        });
    }

    void write(const ChangeSet& changes) override {
        for (const NewPost& p : changes.new_posts) {
            db_.run(insert_post_.get(), p.post_id, p.author, p.day_posted, p.likes, p.version, p.removed);
        }
        for (const PostUpdate& p : changes.post_updates) {
            if (db_.run(update_post_.get(), p.post_id, p.likes_added, p.version, p.expected_version, p.removed) != 1) {
                throw sql::ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
            }
        }
        for (const AuthorDelta& a : changes.authors) {
            db_.run(add_author_.get(), a.author, a.posts, a.comments, a.likes_received);
        }
        for (const DayDelta& d : changes.days) db_.run(add_day_.get(), d.day, d.posts, d.comments, d.likes);
    }

private:
    sql::SqliteConnection::Statement load_post_, insert_post_, update_post_, add_author_, add_day_;
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(std::unique_ptr<soci::session> session) {
    return std::make_unique<SqliteStore>(std::move(session));
}

}  // namespace fanout::plugins::analytics
