#include "sqlite_store.hpp"

#include <string>

namespace fanout::plugins::analytics {

using namespace sqlite_api;

SqliteStore::SqliteStore(std::unique_ptr<soci::session> session)
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

void SqliteStore::load(std::span<const std::string_view> ids, StoredPosts& out) {
    out.assign(ids.size(), std::nullopt);
    sqlite3_stmt* s = load_post_.get();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        db_.bind(s, 1, ids[i]);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const auto* author = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
            out[i] =
                StoredPost{sqlite3_column_int(s, 1) != 0, sqlite3_column_int64(s, 0),
                           std::string(author ? author : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 2)))};
            rc = SQLITE_DONE;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) db_.fail("load posts");
    }
}

void SqliteStore::write(const ChangeSet& changes) {
    for (const NewPost& p : changes.new_posts) {
        sqlite3_stmt* s = insert_post_.get();
        db_.bind(s, 1, p.post_id);
        db_.bind(s, 2, p.author);
        db_.bind(s, 3, p.day_posted);
        db_.bind(s, 4, p.likes);
        db_.bind(s, 5, p.version);
        db_.bind(s, 6, std::int64_t{p.removed ? 1 : 0});
        db_.run(s);
    }
    for (const PostUpdate& p : changes.post_updates) {
        sqlite3_stmt* s = update_post_.get();
        db_.bind(s, 1, p.post_id);
        db_.bind(s, 2, p.likes_added);
        db_.bind(s, 3, p.version);
        db_.bind(s, 4, p.expected_version);
        db_.bind(s, 5, std::int64_t{p.removed ? 1 : 0});
        if (db_.run(s) != 1) throw ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
    }
    for (const AuthorDelta& a : changes.authors) {
        sqlite3_stmt* s = add_author_.get();
        db_.bind(s, 1, a.author);
        db_.bind(s, 2, a.posts);
        db_.bind(s, 3, a.comments);
        db_.bind(s, 4, a.likes_received);
        db_.run(s);
    }
    for (const DayDelta& d : changes.days) {
        sqlite3_stmt* s = add_day_.get();
        db_.bind(s, 1, d.day);
        db_.bind(s, 2, d.posts);
        db_.bind(s, 3, d.comments);
        db_.bind(s, 4, d.likes);
        db_.run(s);
    }
}

}  // namespace fanout::plugins::analytics
