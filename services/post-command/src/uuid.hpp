#pragma once
// Post, comment and event ids: random (version 4) UUIDs in canonical lower-case form.
#include <optional>
#include <string>
#include <string_view>

namespace fanout::post_command {

/// A new random UUID, e.g. `3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70`. Thread-safe.
std::string new_uuid();

/// The canonical lower-case form of `text` when it is a UUID
/// (8-4-4-4-12 hex digits, either case), else nothing.
std::optional<std::string> canonical_uuid(std::string_view text);

}  // namespace fanout::post_command
