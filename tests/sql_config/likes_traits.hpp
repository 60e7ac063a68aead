#pragma once
// A projection written in configuration only (plugins/sql_config), as the
// projection conformance suites see it: posts with their likes and comments,
// counted by increments, from the definition below; the reference folds the
// same from the events.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <soci/soci.h>

#include "process.hpp"
#include "projection_reading.hpp"
#include "projection_traits.hpp"

namespace fanout::test {

inline constexpr const char* k_likes_definition = R"(component: cfg_likes
migrations:
  - description: posts with their likes and comments
    sql: >-
      CREATE TABLE cfg_likes (post_id TEXT PRIMARY KEY, author TEXT NOT NULL,
      likes BIGINT NOT NULL DEFAULT 0, comments BIGINT NOT NULL DEFAULT 0)
on:
  PostCreatedEvent:
    - name: insert post
      sql: INSERT INTO cfg_likes (post_id, author) VALUES (:aggregate_id, :data.author)
  PostLikedEvent:
    - name: count like
      sql: UPDATE cfg_likes SET likes = likes + 1 WHERE post_id = :aggregate_id
  CommentAddedEvent:
    - name: count comment
      sql: UPDATE cfg_likes SET comments = comments + 1 WHERE post_id = :aggregate_id
  PostRemovedEvent:
    - name: delete post
      sql: DELETE FROM cfg_likes WHERE post_id = :aggregate_id
)";

struct LikeRow {
    std::string author;
    std::int64_t likes = 0, comments = 0;
    bool operator==(const LikeRow&) const = default;
};

struct LikeTables {
    std::map<std::string, LikeRow> posts;
    bool operator==(const LikeTables&) const = default;
    std::int64_t total_likes() const { return sum_of_likes(posts); }
};

inline LikeTables read_likes(soci::session& session) {
    LikeTables t;
    read_keyed(session, "SELECT post_id, author, likes, comments FROM cfg_likes", t.posts, [](const soci::row& r) {
        return LikeRow{r.get<std::string>(1), as_integer(r, 2), as_integer(r, 3)};
    });
    return t;
}

inline std::string differences(const LikeTables& expected, const LikeTables& actual, std::size_t limit = 10) {
    Differences d(limit);
    d.compare("post", expected.posts, actual.posts, [](const LikeRow& r) {
        return r.author + " likes=" + std::to_string(r.likes) + " comments=" + std::to_string(r.comments);
    });
    return d.text();
}

/// What the definition does, folded directly from the events.
class LikesReference {
public:
    void apply(std::string_view envelope) {
        const ParsedEnvelope e(envelope, "likes reference");
        const auto post = t_.posts.find(e.post_id);
        if (e.type == "PostCreatedEvent") {
            t_.posts[e.post_id] = LikeRow{e.data_text("author"), 0, 0};
        } else if (post == t_.posts.end()) {
            return;  // the UPDATEs and the DELETE find no row
        } else if (e.type == "PostLikedEvent") {
            ++post->second.likes;
        } else if (e.type == "CommentAddedEvent") {
            ++post->second.comments;
        } else if (e.type == "PostRemovedEvent") {
            t_.posts.erase(post);
        }
    }
    const LikeTables& tables() const { return t_; }

private:
    LikeTables t_;
};

struct LikesTraits : ProjectionOf<LikesReference, read_likes> {
    static constexpr ProjectionNames k_names{.library = "libfanout_sql_config.so",
                                             .plugin = "cfg-likes",
                                             .database = "projection cfg_likes",
                                             .schema_component = "cfg_likes"};
    // Ten kills over 60,000 events; one server restart over 20,000.
    static constexpr ExactlyOnceWorkload k_workload = kills_then_restart(60'000, 10, 2027);

    /// The connection and the definition, written once per test process.
    static std::string options(const std::string& connection) {
        static const TempDir dir;
        static const std::string file = dir.write("cfg_likes.yaml", k_likes_definition).string();
        return connection_option(connection) + "definition: " + yaml_quote(file) + "\n";
    }
};

}  // namespace fanout::test
