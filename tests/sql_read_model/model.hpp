#pragma once
// The read model as plain values: read from a database, or computed directly
// from the events by a reference projection, to compare the two.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <soci/soci.h>

namespace fanout::test {

struct PostRow {
    std::string author, message, date_posted;
    std::int64_t likes = 0;
    std::int64_t version = 0;
    bool operator==(const PostRow&) const = default;
};

struct CommentRow {
    std::string post_id, username, comment, comment_date;
    std::int64_t edited = 0;
    bool operator==(const CommentRow&) const = default;
};

struct Model {
    std::map<std::string, PostRow> posts;
    std::map<std::string, CommentRow> comments;
    std::map<std::string, std::int64_t> removed;  ///< tombstones: post id -> version
    bool operator==(const Model&) const = default;

    std::int64_t total_likes() const;
};

/// posts, comments and removed_posts of the read model behind `session`.
Model read_model(soci::session& session);

/// Up to `limit` differences, one per line ("" when equal).
std::string differences(const Model& expected, const Model& actual, std::size_t limit = 10);

/// The seed system's projection, written plainly, one event at a time:
/// the expected model of a valid stream.
class ReferenceModel {
public:
    /// Apply one JSON envelope (docs/events.md); events at or below a
    /// post's version are ignored, as a replay would be.
    void apply(std::string_view envelope);
    const Model& model() const { return model_; }
    /// The same, by the name the projection conformance suites use.
    const Model& tables() const { return model_; }

private:
    Model model_;
};

}  // namespace fanout::test
