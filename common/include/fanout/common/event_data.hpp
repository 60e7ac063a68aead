#pragma once
// The one definition of valid event data (docs/events.md, "Valid event
// data"): what post-command may append, and what every shipped projection
// accepts. A projection rejects what breaks these rules and nothing else of
// the data, so whatever the command side accepted is projected.
//
// Pure functions over bytes: no I/O, no locale, no allocation unless a
// message is asked for. Safe from any thread.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fanout::event_data {

/// The seven event types (docs/events.md, "The seven event types").
namespace types {
inline constexpr std::string_view post_created = "PostCreatedEvent";
inline constexpr std::string_view message_updated = "MessageUpdatedEvent";
inline constexpr std::string_view post_liked = "PostLikedEvent";
inline constexpr std::string_view comment_added = "CommentAddedEvent";
inline constexpr std::string_view comment_updated = "CommentUpdatedEvent";
inline constexpr std::string_view comment_removed = "CommentRemovedEvent";
inline constexpr std::string_view post_removed = "PostRemovedEvent";
}  // namespace types

/// What a field holds. Each kind has one rule.
enum class Kind {
    id,         ///< post and comment ids: 1..k_max_id_bytes bytes of UTF-8, no control character
    name,       ///< author, username: 1..k_max_name_bytes bytes of UTF-8 without NUL, not blank
    text,       ///< message, comment: 1..k_max_text_bytes bytes of UTF-8 without NUL, not blank
    timestamp,  ///< datePosted, commentDate, editDate, occurredAt: RFC 3339 date-time in UTC
};

/// Limits in bytes of UTF-8 (not characters: an emoji is 4 bytes).
/// Names: analytics.lua turns an author into a metric name (at most 128 bytes
/// with its 9-byte prefix) and PostgreSQL indexes names (a B-tree entry holds
/// about 2.7 KB). Text: an event with every byte escaped in JSON stays well
/// under Kafka's default 1 MB record limit.
inline constexpr std::size_t k_max_id_bytes = 128;
inline constexpr std::size_t k_max_name_bytes = 100;
inline constexpr std::size_t k_max_text_bytes = 65536;

/// Why a value breaks its kind's rule.
enum class Problem {
    none,
    empty,
    blank,          ///< only ASCII whitespace
    too_long,       ///< over the kind's byte limit
    nul,            ///< a U+0000 character
    control,        ///< a control character in an id
    invalid_utf8,   ///< a byte sequence that is not UTF-8
    surrogate,      ///< an encoded UTF-16 surrogate (U+D800..U+DFFF), e.g. from a lone "\udc00" escape
    bad_timestamp,  ///< not YYYY-MM-DDTHH:MM:SS[.fraction]Z with valid ranges
};

struct Check {
    Problem problem = Problem::none;
    std::size_t at = 0;  ///< byte offset of the offending character (nul, control, invalid_utf8, surrogate)
    explicit operator bool() const noexcept { return problem == Problem::none; }
};

/// Judge `value` as a `kind`.
Check check(Kind kind, std::string_view value) noexcept;
inline bool valid(Kind kind, std::string_view value) noexcept { return check(kind, value).problem == Problem::none; }

/// True for valid UTF-8 without NUL and without encoded surrogates (the
/// encoding part of the name and text rules).
bool valid_utf8_without_nul(std::string_view value) noexcept;

/// True when `value` is empty or only ASCII whitespace (space, \t \n \r \f \v).
bool is_blank(std::string_view value) noexcept;

/// What a `kind` must be, for messages: e.g. "a name: 1 to 100 bytes of UTF-8
/// without NUL characters, not blank".
std::string_view expectation(Kind kind) noexcept;

/// A client-facing message: "field 'author' must be a name: ... (found a NUL
/// character at byte 1)". `check` is check(kind, value) and not valid.
std::string explain(std::string_view field, Kind kind, const Check& check);

/// One `data` field of an event type.
struct Field {
    std::string_view name;
    Kind kind;
};

/// The `data` fields of each of the seven event types (docs/events.md), all
/// required strings; empty for PostLikedEvent, PostRemovedEvent and types
/// this contract does not know.
std::span<const Field> data_fields(std::string_view type) noexcept;

/// The first field of `type`'s data that is missing or breaks its rule, as
/// a message ("data.author must be a name: ..."); nothing when all are valid.
/// `lookup(name)` returns the field's string value, or nothing when the field
/// is absent or not a string.
template <class Lookup>
std::optional<std::string> data_violation(std::string_view type, Lookup&& lookup) {
    for (const Field& field : data_fields(type)) {
        const std::optional<std::string_view> value = lookup(field.name);
        if (!value) return "data." + std::string(field.name) + " is missing or not a string";
        const Check c = check(field.kind, *value);
        if (!c) return explain("data." + std::string(field.name), field.kind, c);
    }
    return std::nullopt;
}

}  // namespace fanout::event_data
