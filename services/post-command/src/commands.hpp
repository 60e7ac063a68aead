#pragma once
// The Command API's request bodies (the seed's NewPostCommand, EditMessageCommand,
// ...): parsed and shaped here, judged by PostAggregate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fanout::post_command {

struct NewPostBody {
    std::string author, message;
};
struct EditMessageBody {
    std::string message, username;
};
struct AddCommentBody {
    std::string comment, username;
};
struct EditCommentBody {
    std::string comment_id, comment, username;  ///< comment_id canonical
};
struct RemoveCommentBody {
    std::string comment_id, username;  ///< comment_id canonical
};
struct DeletePostBody {
    std::string username;
};

/// A body, or the message of a 400 answer.
template <class T>
using Parsed = std::variant<T, std::string>;

Parsed<NewPostBody> parse_new_post(std::string_view body);
Parsed<EditMessageBody> parse_edit_message(std::string_view body);
Parsed<AddCommentBody> parse_add_comment(std::string_view body);
Parsed<EditCommentBody> parse_edit_comment(std::string_view body);
Parsed<RemoveCommentBody> parse_remove_comment(std::string_view body);
Parsed<DeletePostBody> parse_delete_post(std::string_view body);

/// With authentication on, the acting user comes from the token and a body
/// may leave its identity field (`author` of newPost, `username` of the
/// others) out: `body` with that field set to `user` when it is absent or
/// null, so the parsers above read it. Any other body (not a JSON object, or
/// one that names someone) is returned as it is.
std::string with_identity(std::string_view body, std::string_view field, const std::string& user);

/// An expected version from an If-Match header: `"5"`, `W/"5"`, `5`, or `*`
/// (any existing version: nothing to compare). Nothing when the header is
/// absent; the error message when it is malformed.
struct ExpectedVersion {
    std::optional<std::int64_t> version;
    std::optional<std::string> error;
};
ExpectedVersion parse_if_match(std::string_view header);

}  // namespace fanout::post_command
