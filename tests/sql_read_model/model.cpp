#include "model.hpp"

#include <stdexcept>

#include <rapidjson/document.h>

#include "projection_reading.hpp"

namespace fanout::test {
std::int64_t Model::total_likes() const { return sum_of_likes(posts); }

Model read_model(soci::session& session) {
    Model m;
    read_keyed(session, "SELECT post_id, author, message, date_posted, likes, applied_version FROM posts", m.posts,
               [](const soci::row& r) {
                   return PostRow{r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3), as_integer(r, 4),
                                  as_integer(r, 5)};
               });
    read_keyed(session, "SELECT comment_id, post_id, username, comment, comment_date, edited FROM comments", m.comments,
               [](const soci::row& r) {
                   return CommentRow{r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3),
                                     r.get<std::string>(4), as_integer(r, 5)};
               });
    read_keyed(session, "SELECT post_id, applied_version FROM removed_posts", m.removed,
               [](const soci::row& r) { return static_cast<std::int64_t>(as_integer(r, 1)); });
    return m;
}

std::string differences(const Model& expected, const Model& actual, std::size_t limit) {
    Differences d(limit);
    d.compare("post", expected.posts, actual.posts, [](const PostRow& p) {
        return "likes=" + std::to_string(p.likes) + " version=" + std::to_string(p.version) + " message='" + p.message +
               "'";
    });
    d.compare("comment", expected.comments, actual.comments, [](const CommentRow& c) {
        return "'" + c.comment + "' edited=" + std::to_string(c.edited) + " date=" + c.comment_date;
    });
    d.compare("tombstone", expected.removed, actual.removed,
              [](std::int64_t version) { return "version " + std::to_string(version); });
    return d.text();
}

void ReferenceModel::apply(std::string_view envelope) {
    const ParsedEnvelope e(envelope, "reference model");
    auto removed = model_.removed.find(e.post_id);
    if (removed != model_.removed.end()) return;
    auto post = model_.posts.find(e.post_id);
    if (e.type == "PostCreatedEvent") {
        if (post != model_.posts.end()) return;
        model_.posts[e.post_id] = {e.data_text("author"), e.data_text("message"), e.data_text("datePosted"), 0,
                                   e.version};
        return;
    }
    if (post == model_.posts.end())
        throw std::runtime_error("reference model: " + e.type + " for unknown post " + e.post_id);
    PostRow& p = post->second;
    if (e.version <= p.version) return;
    if (e.version != p.version + 1) throw std::runtime_error("reference model: version gap in " + e.post_id);
    p.version = e.version;
    if (e.type == "MessageUpdatedEvent") {
        p.message = e.data_text("message");
    } else if (e.type == "PostLikedEvent") {
        ++p.likes;
    } else if (e.type == "CommentAddedEvent") {
        model_.comments[e.data_text("commentId")] = {e.post_id, e.data_text("username"), e.data_text("comment"),
                                                     e.data_text("commentDate"), 0};
    } else if (e.type == "CommentUpdatedEvent") {
        auto c = model_.comments.find(e.data_text("commentId"));
        if (c != model_.comments.end()) {
            c->second.comment = e.data_text("comment");
            c->second.comment_date = e.data_text("editDate");
            c->second.edited = 1;
        }
    } else if (e.type == "CommentRemovedEvent") {
        model_.comments.erase(e.data_text("commentId"));
    } else if (e.type == "PostRemovedEvent") {
        std::erase_if(model_.comments, [&](const auto& c) { return c.second.post_id == e.post_id; });
        model_.removed[e.post_id] = e.version;
        model_.posts.erase(post);
    }
}

}  // namespace fanout::test
