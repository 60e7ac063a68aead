#include "commands.hpp"

#include <initializer_list>
#include <optional>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fanout/common/event_data.hpp"
#include "fanout/common/text.hpp"
#include "json_body.hpp"
#include "post_aggregate.hpp"
#include "uuid.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::post_command {
namespace {

using event_data::Kind;
using event_data::Problem;

/// Reads string fields until the first error.
class FieldReader {
public:
    explicit FieldReader(std::string_view body) {
        if (auto e = json_.parse(body)) error_ = std::move(*e);
    }
    /// A string field that must be valid event data of `kind`. Empty and
    /// blank values pass here: the post's rules refuse them with the seed
    /// system's messages.
    std::string text(std::string_view name, Kind kind) {
        std::string value = string(name);
        if (!error_.empty()) return {};
        const event_data::Check check = event_data::check(kind, value);
        if (!check && check.problem != Problem::empty && check.problem != Problem::blank) {
            error_ = event_data::explain("field '" + std::string(name) + "'", kind, check);
        }
        return value;
    }
    std::string uuid(std::string_view name) {
        std::string value = string(name);
        if (!error_.empty()) return {};
        auto canonical = canonical_uuid(value);
        if (!canonical) error_ = "field '" + std::string(name) + "' must be a UUID";
        return canonical.value_or(std::string());
    }
    const std::string& error() const { return error_; }

private:
    std::string string(std::string_view name) {
        if (!error_.empty()) return {};
        return json_.string(name, error_).value_or(std::string());
    }

    JsonBody json_;
    std::string error_;
};

/// One string field of a body: where it goes, its JSON name, and the kind of
/// event data it must be (nothing: a UUID, stored canonical).
template <class Body>
struct Field {
    std::string Body::*member;
    const char* name;
    std::optional<Kind> kind;
};

/// `fields` read in order; the first error is the answer.
template <class Body>
Parsed<Body> parse_fields(std::string_view text, std::initializer_list<Field<Body>> fields) {
    FieldReader reader(text);
    Body body;
    for (const Field<Body>& f : fields) body.*f.member = f.kind ? reader.text(f.name, *f.kind) : reader.uuid(f.name);
    if (!reader.error().empty()) return reader.error();
    return body;
}

}  // namespace

Parsed<NewPostBody> parse_new_post(std::string_view body) {
    using B = NewPostBody;
    return parse_fields<B>(body, {{&B::author, "author", Kind::name}, {&B::message, "message", Kind::text}});
}

Parsed<EditMessageBody> parse_edit_message(std::string_view body) {
    using B = EditMessageBody;
    return parse_fields<B>(body, {{&B::message, "message", Kind::text}, {&B::username, "username", Kind::name}});
}

Parsed<AddCommentBody> parse_add_comment(std::string_view body) {
    using B = AddCommentBody;
    return parse_fields<B>(body, {{&B::comment, "comment", Kind::text}, {&B::username, "username", Kind::name}});
}

Parsed<EditCommentBody> parse_edit_comment(std::string_view body) {
    using B = EditCommentBody;
    return parse_fields<B>(body, {{&B::comment_id, "commentId", std::nullopt},
                                  {&B::comment, "comment", Kind::text},
                                  {&B::username, "username", Kind::name}});
}

Parsed<RemoveCommentBody> parse_remove_comment(std::string_view body) {
    using B = RemoveCommentBody;
    return parse_fields<B>(body, {{&B::comment_id, "commentId", std::nullopt}, {&B::username, "username", Kind::name}});
}

Parsed<DeletePostBody> parse_delete_post(std::string_view body) {
    return parse_fields<DeletePostBody>(body, {{&DeletePostBody::username, "username", Kind::name}});
}

std::string with_identity(std::string_view body, std::string_view field, const std::string& user) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::string(body);
    auto& alloc = doc.GetAllocator();
    const auto size = [](std::string_view s) { return static_cast<rapidjson::SizeType>(s.size()); };
    rapidjson::Value* value = nullptr;
    for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
        auto& member = *(doc.MemberBegin() + i);
        if (equals_ignore_case({member.name.GetString(), member.name.GetStringLength()}, field)) {
            value = &member.value;  // the first, as JsonBody reads it
            break;
        }
    }
    if (value != nullptr && !value->IsNull()) return std::string(body);
    if (value != nullptr) {
        value->SetString(user.data(), size(user), alloc);
    } else {
        doc.AddMember(rapidjson::Value(field.data(), size(field), alloc),
                      rapidjson::Value(user.data(), size(user), alloc), alloc);
    }
    fanout::common::JsonBuffer buffer;
    fanout::common::JsonWriter writer(buffer);
    doc.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

ExpectedVersion parse_if_match(std::string_view header) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    std::string_view v = trim(header);
    if (v == "*") return {};
    if (v.starts_with("W/")) v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    const std::optional<std::int64_t> version = common::parse_integer<std::int64_t>(v);
    if (!version || *version < 0) {
        return {std::nullopt, "If-Match must be one version, e.g. \"3\" (the ETag of a previous answer)"};
    }
    return {version, std::nullopt};
}

}  // namespace fanout::post_command
