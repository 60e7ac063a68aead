#pragma once
// The net effect of one batch on the read model, as rows to write.
//
// Every string_view points into an Event of the batch being handled: a
// ChangeSet is built and written within one Plugin::handle() call.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "fanout/sql/batch_store.hpp"

namespace fanout::plugins::sql_read_model {

/// What the database holds for one post before the batch.
struct StoredPost {
    bool removed = false;      ///< a tombstone in removed_posts, not a row in posts
    std::int64_t version = 0;  ///< applied_version
};
/// Stored state of the batch's posts, in the order of their ids; nullopt:
/// the post never existed.
using StoredPosts = std::vector<std::optional<StoredPost>>;

struct NewPost {
    std::string_view post_id, author, message, date_posted;
    std::int64_t likes = 0;
    std::int64_t version = 0;
};

/// A post that exists and stays: guarded by its stored version.
struct PostUpdate {
    std::string_view post_id;
    std::optional<std::string_view> message;  ///< unset: unchanged
    std::int64_t likes_added = 0;
    std::int64_t version = 0;
    std::int64_t expected_version = 0;
};

/// A live post removed in this batch: delete its row (guarded) and comments.
struct PostDeletion {
    std::string_view post_id;
    std::int64_t expected_version = 0;
};

struct Tombstone {
    std::string_view post_id;
    std::int64_t version = 0;
};

/// Insert, or replace a row with the same id of the same post.
struct CommentUpsert {
    std::string_view comment_id, post_id, username, comment, comment_date;
    bool edited = false;
};

struct CommentUpdate {
    std::string_view comment_id, post_id, comment, comment_date;
};

struct CommentDeletion {
    std::string_view comment_id, post_id;
};

/// Each post and each comment id appears at most once over all lists, so the
/// lists can be written in any order that respects the foreign key (posts
/// before their comments).
struct ChangeSet {
    std::vector<NewPost> new_posts;
    std::vector<PostUpdate> post_updates;
    std::vector<PostDeletion> post_deletions;
    std::vector<Tombstone> tombstones;
    std::vector<CommentUpsert> comment_upserts;
    std::vector<CommentUpdate> comment_updates;
    std::vector<CommentDeletion> comment_deletions;

    void clear() {
        sql::clear_all(new_posts, post_updates, post_deletions, tombstones, comment_upserts, comment_updates,
                       comment_deletions);
    }
};

/// What the plugin needs of the read model database: per batch, the stored
/// version of its posts (load), then its ChangeSet (write), committed with
/// the checkpoints (fanout/sql/batch_store.hpp).
using Store = sql::ProjectionStore<StoredPosts, ChangeSet>;

/// Made on a session that is connected and migrated.
std::unique_ptr<Store> make_sqlite_store(std::unique_ptr<soci::session> session);    // sqlite_store.cpp
std::unique_ptr<Store> make_postgres_store(std::unique_ptr<soci::session> session);  // postgres_store.cpp

}  // namespace fanout::plugins::sql_read_model
