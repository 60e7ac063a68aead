#pragma once
// The net effect of one batch on the analytics tables, as rows to write.
//
// Every string_view points into an Event of the batch being handled or into
// the StoredPosts loaded for it: a ChangeSet is built and written within one
// Plugin::handle() call.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fanout/sql/batch_store.hpp"

namespace fanout::plugins::analytics {

/// What the database holds for one post before the batch.
struct StoredPost {
    bool removed = false;
    std::int64_t version = 0;  ///< applied_version
    std::string author;        ///< whose likes_received its likes raise
};
/// Stored state of the batch's posts, aligned with their ids; nullopt: the
/// post was never created.
using StoredPosts = std::vector<std::optional<StoredPost>>;

/// A post created in this batch (possibly liked and removed in it too).
struct NewPost {
    std::string_view post_id, author, day_posted;
    std::int64_t likes = 0;
    std::int64_t version = 0;
    bool removed = false;
};

/// A stored post that changed: guarded by its stored version.
struct PostUpdate {
    std::string_view post_id;
    std::int64_t likes_added = 0;
    std::int64_t version = 0;
    std::int64_t expected_version = 0;
    bool removed = false;  ///< removed in this batch
};

/// Added to one author's counters (the author row is created when missing).
struct AuthorDelta {
    std::string_view author;
    std::int64_t posts = 0, comments = 0, likes_received = 0;
};

/// Added to one UTC day's counters.
struct DayDelta {
    std::string_view day;  ///< YYYY-MM-DD
    std::int64_t posts = 0, comments = 0, likes = 0;
};

/// Each post, author and day appears at most once in its list. Authors and
/// days are sorted, so concurrent writers lock rows in the same order.
struct ChangeSet {
    std::vector<NewPost> new_posts;
    std::vector<PostUpdate> post_updates;
    std::vector<AuthorDelta> authors;
    std::vector<DayDelta> days;

    void clear() { sql::clear_all(new_posts, post_updates, authors, days); }
};

/// The analytics database as a batch sees it (fanout/sql/batch_store.hpp):
/// load() the batch's posts, write() its ChangeSet, in the transaction that
/// also advances the checkpoints.
using Store = sql::ProjectionStore<StoredPosts, ChangeSet>;

/// The store on a connected session with the tables in place: SQLite
/// (sqlite_store.cpp) or PostgreSQL (postgres_store.cpp).
std::unique_ptr<Store> make_sqlite_store(std::unique_ptr<soci::session> session);
std::unique_ptr<Store> make_postgres_store(std::unique_ptr<soci::session> session);

}  // namespace fanout::plugins::analytics
