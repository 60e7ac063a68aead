#include "post_aggregate.hpp"

#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include "fanout/common/json_object.hpp"

namespace fanout::post_command {
namespace {

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

using Kind = CommandError::Kind;

std::string string_member(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) {
        throw std::runtime_error(std::string("snapshot lacks string field '") + name + "'");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

/// Accept `event` if its data is valid event data (the backstop behind the
/// request checks: a stored name the rule refuses, a clock gone wrong).
Decision checked(DomainEvent event) {
    if (auto problem = invalid_data(event)) {
        return Decision::reject(Kind::bad_request, "The command would store invalid event data: " + *problem);
    }
    return Decision::accept(std::move(event));
}

}  // namespace

std::string messages::empty_value(std::string_view field) {
    const std::string f(field);
    return "The value of " + f + " cannot be null or empty. Please provide a valid " + f + "!";
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (fold(a[i]) != fold(b[i])) return false;
    }
    return true;
}

bool is_blank(std::string_view text) {
    for (const char c : text) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
    }
    return true;
}

void PostAggregate::apply(const DomainEvent& event) {
    std::visit(Overloaded{
                   [this](const PostCreated& e) {
                       author_ = e.author;
                       message_ = e.message;
                       date_posted_ = e.date_posted;
                       active_ = true;
                   },
                   [this](const MessageUpdated& e) { message_ = e.message; },
                   [this](const PostLiked&) { ++likes_; },
                   [this](const CommentAdded& e) {
                       comments_[e.comment_id] = Comment{e.comment, e.username};
                   },
                   [this](const CommentUpdated& e) {
                       comments_[e.comment_id] = Comment{e.comment, e.username};
                   },
                   [this](const CommentRemoved& e) { comments_.erase(e.comment_id); },
                   [this](const PostRemoved&) { active_ = false; },
               },
               event);
    ++version_;
}

std::string PostAggregate::snapshot_json() const {
    fanout::common::JsonBuffer buffer;
    fanout::common::JsonWriter w(buffer);
    w.StartObject();
    w.Key("author");
    w.String(author_);
    w.Key("message");
    w.String(message_);
    w.Key("datePosted");
    w.String(date_posted_);
    w.Key("likes");
    w.Int64(likes_);
    w.Key("active");
    w.Bool(active_);
    w.Key("comments");
    w.StartArray();
    for (const auto& [comment_id, c] : comments_) {
        w.StartObject();
        w.Key("commentId");
        w.String(comment_id);
        w.Key("comment");
        w.String(c.comment);
        w.Key("username");
        w.String(c.username);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

PostAggregate PostAggregate::from_snapshot(std::string id, std::int64_t version, std::string_view state_json) {
    rapidjson::Document doc;
    doc.Parse(state_json.data(), state_json.size());
    if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("snapshot is not a JSON object");
    PostAggregate post(std::move(id));
    post.version_ = version;
    post.author_ = string_member(doc, "author");
    post.message_ = string_member(doc, "message");
    post.date_posted_ = string_member(doc, "datePosted");
    const auto likes = doc.FindMember("likes");
    const auto active = doc.FindMember("active");
    const auto comments = doc.FindMember("comments");
    if (likes == doc.MemberEnd() || !likes->value.IsInt64() || active == doc.MemberEnd() || !active->value.IsBool() ||
        comments == doc.MemberEnd() || !comments->value.IsArray()) {
        throw std::runtime_error("snapshot lacks likes, active or comments");
    }
    post.likes_ = likes->value.GetInt64();
    post.active_ = active->value.GetBool();
    for (const auto& c : comments->value.GetArray()) {
        if (!c.IsObject()) throw std::runtime_error("snapshot comment is not an object");
        post.comments_[string_member(c, "commentId")] =
            Comment{string_member(c, "comment"), string_member(c, "username")};
    }
    return post;
}

Decision PostAggregate::create(const std::string& author, const std::string& message, const std::string& now) const {
    if (exists()) return Decision::reject(Kind::bad_request, "A post with this id already exists!");
    if (is_blank(author)) return Decision::reject(Kind::bad_request, messages::empty_value("author"));
    if (is_blank(message)) return Decision::reject(Kind::bad_request, messages::empty_value("message"));
    return checked(PostCreated{author, message, now});
}

Decision PostAggregate::edit_message(const std::string& message, const std::string& username) const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::edit_inactive);
    if (is_blank(message)) return Decision::reject(Kind::bad_request, messages::empty_value("message"));
    // Beyond the seed (which let anyone edit): only the post's author.
    if (!equals_ignore_case(author_, username)) return Decision::reject(Kind::bad_request, messages::edit_not_author);
    return checked(MessageUpdated{message});
}

Decision PostAggregate::like() const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::like_inactive);
    return Decision::accept(PostLiked{});
}

Decision PostAggregate::add_comment(const std::string& comment, const std::string& username,
                                    const std::string& comment_id, const std::string& now) const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::comment_inactive);
    if (is_blank(comment)) return Decision::reject(Kind::bad_request, messages::empty_value("comment"));
    if (is_blank(username)) return Decision::reject(Kind::bad_request, messages::empty_value("username"));
    return checked(CommentAdded{comment_id, comment, username, now});
}

Decision PostAggregate::edit_comment(const std::string& comment_id, const std::string& comment,
                                     const std::string& username, const std::string& now) const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::edit_comment_inactive);
    if (is_blank(comment)) return Decision::reject(Kind::bad_request, messages::empty_value("comment"));
    const auto it = comments_.find(comment_id);
    if (it == comments_.end()) return Decision::reject(Kind::not_found, messages::comment_not_found);
    if (!equals_ignore_case(it->second.username, username)) {
        return Decision::reject(Kind::bad_request, messages::edit_comment_not_author);
    }
    // The comment keeps its author's spelling of the name.
    return checked(CommentUpdated{comment_id, comment, it->second.username, now});
}

Decision PostAggregate::remove_comment(const std::string& comment_id, const std::string& username) const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::remove_comment_inactive);
    const auto it = comments_.find(comment_id);
    if (it == comments_.end()) return Decision::reject(Kind::not_found, messages::comment_not_found);
    if (!equals_ignore_case(it->second.username, username)) {
        return Decision::reject(Kind::bad_request, messages::remove_comment_not_author);
    }
    return checked(CommentRemoved{comment_id});
}

Decision PostAggregate::remove(const std::string& username) const {
    if (!exists()) return Decision::reject(Kind::not_found, messages::post_not_found);
    if (!active_) return Decision::reject(Kind::bad_request, messages::already_removed);
    if (!equals_ignore_case(author_, username)) return Decision::reject(Kind::bad_request, messages::delete_not_author);
    return Decision::accept(PostRemoved{});
}

}  // namespace fanout::post_command
