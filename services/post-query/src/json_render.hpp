#pragma once
// Response bodies. Field names and messages follow the seed's PostLookup
// controller (PostLookupResponse, PostEntity, CommentEntity in camelCase), so
// its clients read them unchanged; `nextCursor` is the one addition.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace fanout::post_query {

/// `{"message": ..., "posts": [...], "nextCursor": ...}`; nextCursor only when set.
/// Text from the database that is not well-formed UTF-8 is repaired with U+FFFD
/// so the body is always valid JSON.
std::string render_posts(std::string_view message, const std::vector<Post>& posts,
                         const std::optional<std::string>& next_cursor);

/// `{"message": ...}`: the body of every error.
std::string render_message(std::string_view message);

/// `{"status": ...}`: the body of /healthz and /readyz when all is well.
std::string render_status(std::string_view status);

/// `{"status": "ready", "component": ..., "generation": N}`: /readyz when the
/// read model is there, with the generation served (generation.hpp).
std::string render_ready(std::string_view component, int generation);

/// The seed's message for a list: "Successfully returned 3 posts!" (1 post: no s).
std::string list_message(std::size_t count);

/// The seed's message for byId.
inline constexpr std::string_view k_single_post_message = "Successfully returned post!";

}  // namespace fanout::post_query
