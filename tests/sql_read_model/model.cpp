#include "model.hpp"

#include <stdexcept>

#include <rapidjson/document.h>

#include "projection_reading.hpp"

namespace fanout::test {
namespace {

std::string text(const rapidjson::Value& data, const char* field) { return json_text(data, field, "reference model"); }

}  // namespace

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
    rapidjson::Document doc;
    doc.Parse(envelope.data(), envelope.size());
    if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("reference model: not JSON");
    const std::string type = text(doc, "type");
    const std::string post_id = text(doc, "aggregateId");
    const std::int64_t version = doc["version"].GetInt64();
    const rapidjson::Value& data = doc["data"];

    auto removed = model_.removed.find(post_id);
    if (removed != model_.removed.end()) return;
    auto post = model_.posts.find(post_id);
    if (type == "PostCreatedEvent") {
        if (post != model_.posts.end()) return;
        model_.posts[post_id] = {text(data, "author"), text(data, "message"), text(data, "datePosted"), 0, version};
        return;
    }
    if (post == model_.posts.end())
        throw std::runtime_error("reference model: " + type + " for unknown post " + post_id);
    PostRow& p = post->second;
    if (version <= p.version) return;
    if (version != p.version + 1) throw std::runtime_error("reference model: version gap in " + post_id);
    p.version = version;
    if (type == "MessageUpdatedEvent") {
        p.message = text(data, "message");
    } else if (type == "PostLikedEvent") {
        ++p.likes;
    } else if (type == "CommentAddedEvent") {
        model_.comments[text(data, "commentId")] = {post_id, text(data, "username"), text(data, "comment"),
                                                    text(data, "commentDate"), 0};
    } else if (type == "CommentUpdatedEvent") {
        auto c = model_.comments.find(text(data, "commentId"));
        if (c != model_.comments.end()) {
            c->second.comment = text(data, "comment");
            c->second.comment_date = text(data, "editDate");
            c->second.edited = 1;
        }
    } else if (type == "CommentRemovedEvent") {
        model_.comments.erase(text(data, "commentId"));
    } else if (type == "PostRemovedEvent") {
        std::erase_if(model_.comments, [&](const auto& c) { return c.second.post_id == post_id; });
        model_.removed[post_id] = version;
        model_.posts.erase(post);
    }
}

}  // namespace fanout::test
