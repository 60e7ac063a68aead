#pragma once
// Random Command API requests with hostile strings (NUL, invalid UTF-8
// bytes, lone surrogates escaped in JSON, huge values, RTL and combining
// characters, emoji, empty and blank values), and a model of what the
// service has accepted, for property tests of post-command. Seeded: the
// seed is printed and FANOUT_PROPERTY_SEED replays it.
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace fanout::test {

/// FANOUT_PROPERTY_SEED when set, else a fresh seed; printed either way.
std::uint64_t property_seed(const char* test_name);

/// A JSON string literal (quotes included) and the bytes it decodes to
/// (nothing when it is not valid JSON, e.g. raw invalid UTF-8).
struct JsonText {
    std::string literal;
    std::optional<std::string> decoded;
};

class HostileStrings {
public:
    explicit HostileStrings(std::uint64_t seed) : rng_(seed) {}
    /// A string for a field of kind name (short) or text (may be huge).
    JsonText next(bool text);
    std::mt19937_64& rng() { return rng_; }

private:
    std::mt19937_64 rng_;
};

/// `s` as a JSON string literal, every byte kept (controls escaped).
std::string json_literal(const std::string& s);

/// One request of the seven kinds.
struct CommandRequest {
    enum class Kind { new_post, edit_message, like, add_comment, edit_comment, remove_comment, delete_post };
    Kind kind;
    std::string method, path, body;
    std::string post_id;     ///< target post ("" for newPost)
    std::string comment_id;  ///< editComment / removeComment target
    /// Decoded fields of the body (absent when the body is not valid JSON).
    std::map<std::string, std::string> fields;
    /// The same fields as JSON literals, as sent.
    std::map<std::string, std::string> literals;
};

const char* to_string(CommandRequest::Kind kind);

/// An event a 2xx answer promised: its type and the data fields it must carry.
struct ExpectedEvent {
    std::string type;
    std::map<std::string, std::string> data;
};

/// What the service told the client it accepted, per post.
struct AcceptedPost {
    JsonText author;                           ///< as sent: reused as the username of the author's commands
    std::vector<ExpectedEvent> events;         ///< one per 2xx, in order
    std::map<std::string, JsonText> comments;  ///< comment id -> its username as sent
    bool removed = false;
};

class CommandGenerator {
public:
    explicit CommandGenerator(std::uint64_t seed) : strings_(seed) {}
    /// The next request against what `posts` holds (known ids, authors,
    /// comments), with a few aimed at unknown or malformed ids.
    CommandRequest next(const std::map<std::string, AcceptedPost>& posts);

private:
    JsonText name_or(const std::string& literal);
    HostileStrings strings_;
};

/// Record a 2xx answer in `posts`: the event type the command appended; new
/// posts and comments take the id from the answer.
void record_success(std::map<std::string, AcceptedPost>& posts, const CommandRequest& request,
                    const std::string& answered_id);

/// The event type a successful command of `kind` appends.
const char* event_type_of(CommandRequest::Kind kind);

}  // namespace fanout::test
