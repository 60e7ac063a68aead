#include "sqlite_store.hpp"

#include <string>

namespace fanout::plugins::analytics {

using namespace sqlite_api;

SqliteStore::SqliteStore(std::unique_ptr<soci::session> session)
    : Store(std::move(session)),
      db_(static_cast<soci::sqlite3_session_backend*>(session_->get_backend())->conn_),
      load_post_(prepare("SELECT applied_version, removed, author FROM analytics_posts WHERE post_id = ?1")),
      insert_post_(prepare("INSERT INTO analytics_posts (post_id, author, day_posted, likes, applied_version, removed)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
      update_post_(prepare("UPDATE analytics_posts SET likes = likes + ?2, applied_version = ?3,"
                           " removed = CASE WHEN ?5 = 1 THEN 1 ELSE removed END"
                           " WHERE post_id = ?1 AND applied_version = ?4")),
      add_author_(prepare("INSERT INTO analytics_authors (author, posts, comments, likes_received)"
                          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (author) DO UPDATE SET"
                          " posts = analytics_authors.posts + excluded.posts,"
                          " comments = analytics_authors.comments + excluded.comments,"
                          " likes_received = analytics_authors.likes_received + excluded.likes_received")),
      add_day_(prepare("INSERT INTO analytics_days (day, posts, comments, likes)"
                       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (day) DO UPDATE SET"
                       " posts = analytics_days.posts + excluded.posts,"
                       " comments = analytics_days.comments + excluded.comments,"
                       " likes = analytics_days.likes + excluded.likes")),
      advance_(prepare("UPDATE analytics_checkpoints SET next_offset = ?5"
                       " WHERE consumer_group = ?1 AND topic = ?2 AND partition_id = ?3 AND next_offset = ?4")) {}

SqliteStore::~SqliteStore() = default;

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
            const auto* author = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
            out[i] =
                StoredPost{sqlite3_column_int(s, 1) != 0, sqlite3_column_int64(s, 0),
                           std::string(author ? author : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 2)))};
            rc = SQLITE_DONE;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) fail("load posts");
    }
}

void SqliteStore::write(const ChangeSet& changes) {
    for (const NewPost& p : changes.new_posts) {
        sqlite3_stmt* s = insert_post_.get();
        bind(s, 1, p.post_id);
        bind(s, 2, p.author);
        bind(s, 3, p.day_posted);
        bind(s, 4, p.likes);
        bind(s, 5, p.version);
        bind(s, 6, std::int64_t{p.removed ? 1 : 0});
        run(s);
    }
    for (const PostUpdate& p : changes.post_updates) {
        sqlite3_stmt* s = update_post_.get();
        bind(s, 1, p.post_id);
        bind(s, 2, p.likes_added);
        bind(s, 3, p.version);
        bind(s, 4, p.expected_version);
        bind(s, 5, std::int64_t{p.removed ? 1 : 0});
        if (run(s) != 1) throw ConcurrentChange("post " + std::string(p.post_id) + " changed meanwhile");
    }
    for (const AuthorDelta& a : changes.authors) {
        sqlite3_stmt* s = add_author_.get();
        bind(s, 1, a.author);
        bind(s, 2, a.posts);
        bind(s, 3, a.comments);
        bind(s, 4, a.likes_received);
        run(s);
    }
    for (const DayDelta& d : changes.days) {
        sqlite3_stmt* s = add_day_.get();
        bind(s, 1, d.day);
        bind(s, 2, d.posts);
        bind(s, 3, d.comments);
        bind(s, 4, d.likes);
        run(s);
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

}  // namespace fanout::plugins::analytics
