#include "domain_events.hpp"

#include <stdexcept>

#include <rapidjson/document.h>

#include "fanout/common/event_data.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::post_command {
namespace {

/// The data of a comment event: the comment, its author, and its date under `date_key`.
template <class Event>
std::string comment_data(const Event& e, const char* date_key, const std::string& date) {
    return common::json_object(
        {{"commentId", e.comment_id}, {"comment", e.comment}, {"username", e.username}, {date_key, date}});
}

std::string required(const rapidjson::Document& doc, const char* field, std::string_view type) {
    const auto it = doc.FindMember(field);
    if (it == doc.MemberEnd() || !it->value.IsString()) {
        throw std::runtime_error(std::string(type) + " data lacks string field '" + field + "'");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

const char* type_name(const DomainEvent& event) {
    return std::visit(Overloaded{
                          [](const PostCreated&) { return "PostCreatedEvent"; },
                          [](const MessageUpdated&) { return "MessageUpdatedEvent"; },
                          [](const PostLiked&) { return "PostLikedEvent"; },
                          [](const CommentAdded&) { return "CommentAddedEvent"; },
                          [](const CommentUpdated&) { return "CommentUpdatedEvent"; },
                          [](const CommentRemoved&) { return "CommentRemovedEvent"; },
                          [](const PostRemoved&) { return "PostRemovedEvent"; },
                      },
                      event);
}

std::string encode_data(const DomainEvent& event) {
    using common::json_object;
    return std::visit(
        Overloaded{
            [](const PostCreated& e) {
                return json_object({{"author", e.author}, {"message", e.message}, {"datePosted", e.date_posted}});
            },
            [](const MessageUpdated& e) {
                return json_object({{"message", e.message}});
            },
            [](const PostLiked&) { return std::string("{}"); },
            [](const CommentAdded& e) { return comment_data(e, "commentDate", e.comment_date); },
            [](const CommentUpdated& e) { return comment_data(e, "editDate", e.edit_date); },
            [](const CommentRemoved& e) {
                return json_object({{"commentId", e.comment_id}});
            },
            [](const PostRemoved&) { return std::string("{}"); },
        },
        event);
}

std::optional<std::string> invalid_data(const DomainEvent& event) {
    const char* type = type_name(event);
    if (event_data::data_fields(type).empty()) return std::nullopt;  // likes: nothing to judge
    // The data object as written by encode_data, read back field by field:
    // the rule judges exactly what consumers will see.
    const std::string json = encode_data(event);
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    const auto lookup = [&doc](std::string_view name) -> std::optional<std::string_view> {
        const auto it = doc.FindMember(
            rapidjson::Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
        if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
        return std::string_view(it->value.GetString(), it->value.GetStringLength());
    };
    return event_data::data_violation(type, lookup);
}

DomainEvent decode_event(std::string_view type, std::string_view data_json) {
    // The two events without data are the hot path (likes): no parse.
    if (type == "PostLikedEvent") return PostLiked{};
    if (type == "PostRemovedEvent") return PostRemoved{};
    rapidjson::Document doc;
    doc.Parse(data_json.data(), data_json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        throw std::runtime_error("stored " + std::string(type) + " has invalid data JSON");
    }
    if (type == "PostCreatedEvent") {
        return PostCreated{required(doc, "author", type), required(doc, "message", type),
                           required(doc, "datePosted", type)};
    }
    if (type == "MessageUpdatedEvent") return MessageUpdated{required(doc, "message", type)};
    if (type == "CommentAddedEvent") {
        return CommentAdded{required(doc, "commentId", type), required(doc, "comment", type),
                            required(doc, "username", type), required(doc, "commentDate", type)};
    }
    if (type == "CommentUpdatedEvent") {
        return CommentUpdated{required(doc, "commentId", type), required(doc, "comment", type),
                              required(doc, "username", type), required(doc, "editDate", type)};
    }
    if (type == "CommentRemovedEvent") return CommentRemoved{required(doc, "commentId", type)};
    throw std::runtime_error("unknown stored event type '" + std::string(type) + "'");
}

}  // namespace fanout::post_command
