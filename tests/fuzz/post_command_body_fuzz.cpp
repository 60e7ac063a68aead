// post-command's request inputs: the post id of a route, the If-Match header
// and every command body (JsonBody, parse_new_post ... parse_delete_post).
//
// Input: the first line is taken as a route's post id and as an If-Match
// value; the rest is the request body.
#include <string>

#include "commands.hpp"
#include "fuzz_support.hpp"
#include "json_body.hpp"
#include "uuid.hpp"

namespace {

namespace pc = fanout::post_command;
using fanout::fuzz::check;

bool is_canonical(const std::string& id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

template <class Body>
void parse(pc::Parsed<Body> (*parser)(std::string_view), std::string_view body) {
    const auto parsed = parser(body);
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        check(!error->empty(), "a refused body has a message for the client");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fanout::fuzz::split(fanout::fuzz::as_text(data, size), "\n", 2);
    const std::string_view line = parts[0];
    const std::string_view body = parts.size() > 1 ? parts[1] : std::string_view{};

    if (const auto id = pc::canonical_uuid(line)) {
        check(is_canonical(*id), "canonical_uuid returns the canonical form", *id);
        check(pc::canonical_uuid(*id) == id, "a canonical id is its own canonical form", *id);
    }
    const pc::ExpectedVersion expected = pc::parse_if_match(line);
    check(!(expected.version && expected.error), "If-Match is a version or an error, not both");
    if (expected.error) check(!expected.error->empty(), "a malformed If-Match has a message");

    pc::JsonBody json;
    if (!json.parse(body)) {
        std::string error;
        for (const char* field : {"author", "message", "comment", "username", "commentId", "AUTHOR"}) {
            error.clear();
            if (!json.string(field, error)) check(!error.empty(), "a missing field has a message", field);
        }
    }
    parse(pc::parse_new_post, body);
    parse(pc::parse_edit_message, body);
    parse(pc::parse_add_comment, body);
    parse(pc::parse_edit_comment, body);
    parse(pc::parse_remove_comment, body);
    parse(pc::parse_delete_post, body);

    if (const auto edit = pc::parse_edit_comment(body); std::holds_alternative<pc::EditCommentBody>(edit)) {
        check(is_canonical(std::get<pc::EditCommentBody>(edit).comment_id), "a parsed comment id is canonical");
    }
    return 0;
}
