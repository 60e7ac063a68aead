#include "model.hpp"

#include <sstream>
#include <stdexcept>

#include <rapidjson/document.h>

namespace fanout::test {
namespace {

long long as_integer(const soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_long_long: return r.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
        case soci::dt_double: return static_cast<long long>(r.get<double>(i));
        case soci::dt_string: return std::stoll(r.get<std::string>(i));
        default: throw std::runtime_error("unexpected column type for " + r.get_properties(i).get_name());
    }
}

std::string text(const rapidjson::Value& data, const char* field) {
    auto it = data.FindMember(field);
    if (it == data.MemberEnd() || !it->value.IsString()) {
        throw std::runtime_error(std::string("reference model: missing data.") + field);
    }
    return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

std::int64_t Model::total_likes() const {
    std::int64_t n = 0;
    for (const auto& [id, p] : posts) n += p.likes;
    return n;
}

Model read_model(soci::session& session) {
    Model m;
    soci::rowset<soci::row> posts =
        (session.prepare << "SELECT post_id, author, message, date_posted, likes, applied_version FROM posts");
    for (const soci::row& r : posts) {
        m.posts[r.get<std::string>(0)] = {r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3),
                                          as_integer(r, 4), as_integer(r, 5)};
    }
    soci::rowset<soci::row> comments =
        (session.prepare << "SELECT comment_id, post_id, username, comment, comment_date, edited FROM comments");
    for (const soci::row& r : comments) {
        m.comments[r.get<std::string>(0)] = {r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3),
                                             r.get<std::string>(4), as_integer(r, 5)};
    }
    soci::rowset<soci::row> removed = (session.prepare << "SELECT post_id, applied_version FROM removed_posts");
    for (const soci::row& r : removed) m.removed[r.get<std::string>(0)] = as_integer(r, 1);
    return m;
}

std::string differences(const Model& expected, const Model& actual, std::size_t limit) {
    std::ostringstream out;
    std::size_t n = 0;
    auto note = [&](const std::string& line) {
        if (n++ < limit) out << line << "\n";
    };
    for (const auto& [id, p] : expected.posts) {
        auto it = actual.posts.find(id);
        if (it == actual.posts.end()) {
            note("post " + id + " missing");
        } else if (!(it->second == p)) {
            note("post " + id + ": expected likes=" + std::to_string(p.likes) +
                 " version=" + std::to_string(p.version) + " message='" + p.message +
                 "', got likes=" + std::to_string(it->second.likes) + " version=" + std::to_string(it->second.version) +
                 " message='" + it->second.message + "'");
        }
    }
    for (const auto& [id, p] : actual.posts) {
        if (!expected.posts.count(id)) note("unexpected post " + id);
    }
    for (const auto& [id, c] : expected.comments) {
        auto it = actual.comments.find(id);
        if (it == actual.comments.end()) {
            note("comment " + id + " missing");
        } else if (!(it->second == c)) {
            note("comment " + id + ": expected '" + c.comment + "' edited=" + std::to_string(c.edited) +
                 " date=" + c.comment_date + ", got '" + it->second.comment +
                 "' edited=" + std::to_string(it->second.edited) + " date=" + it->second.comment_date);
        }
    }
    for (const auto& [id, c] : actual.comments) {
        if (!expected.comments.count(id)) note("unexpected comment " + id);
    }
    if (expected.removed != actual.removed) note("tombstones differ");
    if (n > limit) out << "... " << (n - limit) << " more\n";
    return out.str();
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
