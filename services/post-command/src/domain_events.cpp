#include "domain_events.hpp"

#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fanout/common/event_data.hpp"

namespace fanout::post_command {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang before 17 deduces no aggregate's arguments

class DataWriter {
public:
    DataWriter() : writer_(buffer_) { writer_.StartObject(); }
    DataWriter& field(const char* name, const std::string& value) {
        writer_.Key(name);
        writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
        return *this;
    }
    std::string finish() {
        writer_.EndObject();
        return std::string(buffer_.GetString(), buffer_.GetSize());
    }

private:
    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

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
    return std::visit(
        Overloaded{
            [](const PostCreated& e) {
                return DataWriter()
                    .field("author", e.author)
                    .field("message", e.message)
                    .field("datePosted", e.date_posted)
                    .finish();
            },
            [](const MessageUpdated& e) { return DataWriter().field("message", e.message).finish(); },
            [](const PostLiked&) { return std::string("{}"); },
            [](const CommentAdded& e) {
                return DataWriter()
                    .field("commentId", e.comment_id)
                    .field("comment", e.comment)
                    .field("username", e.username)
                    .field("commentDate", e.comment_date)
                    .finish();
            },
            [](const CommentUpdated& e) {
                return DataWriter()
                    .field("commentId", e.comment_id)
                    .field("comment", e.comment)
                    .field("username", e.username)
                    .field("editDate", e.edit_date)
                    .finish();
            },
            [](const CommentRemoved& e) { return DataWriter().field("commentId", e.comment_id).finish(); },
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
