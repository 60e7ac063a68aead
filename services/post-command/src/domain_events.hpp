#pragma once
// The post events of the event contract (docs/events.md) as C++ values, and
// their `data` JSON. The names and fields are the seed system's.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fanout::post_command {

struct PostCreated {
    std::string author, message, date_posted;
};
struct MessageUpdated {
    std::string message;
};
struct PostLiked {};
struct CommentAdded {
    std::string comment_id, comment, username, comment_date;
};
struct CommentUpdated {
    std::string comment_id, comment, username, edit_date;
};
struct CommentRemoved {
    std::string comment_id;
};
struct PostRemoved {};

using DomainEvent =
    std::variant<PostCreated, MessageUpdated, PostLiked, CommentAdded, CommentUpdated, CommentRemoved, PostRemoved>;

/// A visitor of a DomainEvent made of lambdas, one per alternative.
template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang before 17 deduces no aggregate's arguments

/// The contract's type name, e.g. "PostLikedEvent".
const char* type_name(const DomainEvent& event);

/// The `data` object, e.g. `{"message":"hi"}` (camelCase field names).
std::string encode_data(const DomainEvent& event);

/// Why `event`'s data breaks the rule of valid event data
/// (fanout/common/event_data.hpp), as a message naming the field; nothing
/// when it is valid. Checked before anything is appended.
std::optional<std::string> invalid_data(const DomainEvent& event);

/// Decode a stored event. Throws std::runtime_error for an unknown type or
/// data that misses a field: the store holds only what this service wrote,
/// so either is corruption, never client input.
DomainEvent decode_event(std::string_view type, std::string_view data_json);

}  // namespace fanout::post_command
