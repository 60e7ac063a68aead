#pragma once
// The SQL of post-query: one page of posts in one query, their comments in one
// more (never one query per post), both inside one read snapshot so a page
// never mixes two states of the model. Same SQL on SQLite and PostgreSQL.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "model.hpp"

namespace fanout::post_query {

/// Oldest read-model schema with the tables read here (posts and comments).
inline constexpr int k_required_schema_version = 1;

struct PostFilter {
    enum class Kind { all, by_id, by_author, with_comments, with_likes };
    Kind kind = Kind::all;
    std::string text;            ///< post id (by_id) or author (by_author)
    std::int64_t min_likes = 0;  ///< with_likes: likes >= min_likes
};

struct PageRequest {
    std::optional<PageKey> after;  ///< start strictly after this key
    std::size_t limit = 100;       ///< at least 1
};

struct PostPage {
    std::vector<Post> posts;      ///< ordered by (date_posted, post_id), each with its comments
    std::optional<PageKey> next;  ///< set when more posts follow
};

/// Throws soci::soci_error (connection lost, tables missing, timeout).
PostPage find_posts(soci::session& session, const PostFilter& filter, const PageRequest& page);

enum class SchemaState { ready, absent, outdated };

struct SchemaStatus {
    SchemaState state = SchemaState::absent;
    int version = 0;  ///< 0 when absent
};

/// Whether an unqualified `table` names a table (PostgreSQL: in a schema of
/// the search_path). Throws soci::soci_error.
bool has_table(soci::session& session, const std::string& table);

/// Whether the read model's tables are there, without creating anything.
/// Throws soci::soci_error only when the database itself fails.
SchemaStatus schema_status(soci::session& session);

}  // namespace fanout::post_query
