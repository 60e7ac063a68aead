#include "commands.hpp"

#include <charconv>

#include "fanout/common/event_data.hpp"
#include "json_body.hpp"
#include "uuid.hpp"

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

template <class T>
Parsed<T> finish(const FieldReader& reader, T value) {
    if (!reader.error().empty()) return reader.error();
    return value;
}

}  // namespace

Parsed<NewPostBody> parse_new_post(std::string_view body) {
    FieldReader r(body);
    NewPostBody b;
    b.author = r.text("author", Kind::name);
    b.message = r.text("message", Kind::text);
    return finish(r, std::move(b));
}

Parsed<EditMessageBody> parse_edit_message(std::string_view body) {
    FieldReader r(body);
    EditMessageBody b;
    b.message = r.text("message", Kind::text);
    b.username = r.text("username", Kind::name);
    return finish(r, std::move(b));
}

Parsed<AddCommentBody> parse_add_comment(std::string_view body) {
    FieldReader r(body);
    AddCommentBody b;
    b.comment = r.text("comment", Kind::text);
    b.username = r.text("username", Kind::name);
    return finish(r, std::move(b));
}

Parsed<EditCommentBody> parse_edit_comment(std::string_view body) {
    FieldReader r(body);
    EditCommentBody b;
    b.comment_id = r.uuid("commentId");
    b.comment = r.text("comment", Kind::text);
    b.username = r.text("username", Kind::name);
    return finish(r, std::move(b));
}

Parsed<RemoveCommentBody> parse_remove_comment(std::string_view body) {
    FieldReader r(body);
    RemoveCommentBody b;
    b.comment_id = r.uuid("commentId");
    b.username = r.text("username", Kind::name);
    return finish(r, std::move(b));
}

Parsed<DeletePostBody> parse_delete_post(std::string_view body) {
    FieldReader r(body);
    DeletePostBody b;
    b.username = r.text("username", Kind::name);
    return finish(r, std::move(b));
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
    std::int64_t version = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || version < 0) {
        return {std::nullopt, "If-Match must be one version, e.g. \"3\" (the ETag of a previous answer)"};
    }
    return {version, std::nullopt};
}

}  // namespace fanout::post_command
