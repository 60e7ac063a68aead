#include "tables.hpp"

#include <stdexcept>

#include <rapidjson/document.h>

#include "projection_reading.hpp"

namespace fanout::test {
namespace {

std::string day_of(const std::string& timestamp) { return timestamp.substr(0, 10); }

std::string counts(const char* names, std::int64_t a, std::int64_t b, std::int64_t c) {
    return std::string(names) + " " + std::to_string(a) + "/" + std::to_string(b) + "/" + std::to_string(c);
}

}  // namespace

std::int64_t Tables::total_likes() const { return sum_of_likes(posts); }

Tables read_tables(soci::session& session) {
    Tables t;
    read_keyed(session, "SELECT author, posts, comments, likes_received FROM analytics_authors", t.authors,
               [](const soci::row& r) {
                   return AuthorCounts{as_integer(r, 1), as_integer(r, 2), as_integer(r, 3)};
               });
    read_keyed(session, "SELECT day, posts, comments, likes FROM analytics_days", t.days, [](const soci::row& r) {
        return DayCounts{as_integer(r, 1), as_integer(r, 2), as_integer(r, 3)};
    });
    read_keyed(session, "SELECT post_id, author, day_posted, likes, applied_version, removed FROM analytics_posts",
               t.posts, [](const soci::row& r) {
                   return PostCounts{r.get<std::string>(1), r.get<std::string>(2), as_integer(r, 3), as_integer(r, 4),
                                     as_integer(r, 5) != 0};
               });
    return t;
}

std::string differences(const Tables& expected, const Tables& actual, std::size_t limit) {
    Differences d(limit);
    d.compare("author", expected.authors, actual.authors, [](const AuthorCounts& a) {
        return counts("posts/comments/likes_received", a.posts, a.comments, a.likes_received);
    });
    d.compare("day", expected.days, actual.days,
              [](const DayCounts& c) { return counts("posts/comments/likes", c.posts, c.comments, c.likes); });
    d.compare("post", expected.posts, actual.posts, [](const PostCounts& p) {
        return "author=" + p.author + " day=" + p.day_posted + " likes=" + std::to_string(p.likes) +
               " version=" + std::to_string(p.version) + " removed=" + std::to_string(p.removed);
    });
    return d.text();
}

std::int64_t analytics_checkpoint_sum(soci::session& session, const std::string& group) {
    return stored_checkpoint_sum(session, "analytics_checkpoints", group);
}

void ReferenceCounts::apply(std::string_view envelope) {
    const ParsedEnvelope e(envelope, "reference counts");
    auto post = tables_.posts.find(e.post_id);
    if (e.type == "PostCreatedEvent") {
        if (post != tables_.posts.end()) return;
        const std::string author = e.data_text("author");
        const std::string day = day_of(e.data_text("datePosted"));
        tables_.posts[e.post_id] = {author, day, 0, e.version, false};
        ++tables_.authors[author].posts;
        ++tables_.days[day].posts;
        return;
    }
    if (post == tables_.posts.end()) throw std::runtime_error("reference counts: " + e.type + " for unknown post");
    PostCounts& p = post->second;
    if (e.version <= p.version) return;
    if (e.version != p.version + 1 || p.removed)
        throw std::runtime_error("reference counts: version gap in " + e.post_id);
    p.version = e.version;
    if (e.type == "PostLikedEvent") {
        ++p.likes;
        ++tables_.authors[p.author].likes_received;
        ++tables_.days[day_of(e.envelope_text("occurredAt"))].likes;
    } else if (e.type == "CommentAddedEvent") {
        ++tables_.authors[e.data_text("username")].comments;
        ++tables_.days[day_of(e.data_text("commentDate"))].comments;
    } else if (e.type == "PostRemovedEvent") {
        p.removed = true;
    }
}

}  // namespace fanout::test
