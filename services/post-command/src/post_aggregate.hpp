#pragma once
// PostAggregate: a post's state, rebuilt by replaying its events, and the
// rules that decide which events a command produces. Pure: no I/O, no clock
// (callers pass ids and times), so every rule is unit-tested directly.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events.hpp"

namespace fanout::post_command {

/// Why a command was refused. Concurrency conflicts are not decided here:
/// the event store detects them (command_service.hpp).
struct CommandError {
    enum class Kind { bad_request, not_found };
    Kind kind;
    std::string message;
};

/// The outcome of a command on an aggregate: events to append, or an error.
struct Decision {
    std::vector<DomainEvent> events;
    std::optional<CommandError> error;

    static Decision accept(DomainEvent event) { return Decision{{std::move(event)}, std::nullopt}; }
    static Decision reject(CommandError::Kind kind, std::string message) {
        return Decision{{}, CommandError{kind, std::move(message)}};
    }
};

struct Comment {
    std::string comment, username;
    bool operator==(const Comment&) const = default;
};

/// Messages clients see (the seed system's wording where it had one).
namespace messages {
inline constexpr const char* post_not_found =
    "Could not retrieve aggregate, client passed an incorrect post ID targetting the aggregate!";
inline constexpr const char* comment_not_found = "Could not find a comment with the given commentId on this post!";
inline constexpr const char* edit_inactive = "You cannot edit the message of an inactive post!";
inline constexpr const char* edit_not_author =
    "You are not allowed to edit the message of a post made by someone else!";
inline constexpr const char* like_inactive = "You cannot like an inactive post!";
inline constexpr const char* comment_inactive = "You cannot add a comment to an inactive post!";
inline constexpr const char* edit_comment_inactive = "You cannot edit a comment of an inactive post!";
inline constexpr const char* edit_comment_not_author =
    "You are not allowed to edit a comment that was made by another user!";
inline constexpr const char* remove_comment_inactive = "You cannot remove a comment of an inactive post!";
inline constexpr const char* remove_comment_not_author =
    "You are not allowed to remove a comment that was made by another user!";
inline constexpr const char* already_removed = "The post has already been removed!";
inline constexpr const char* delete_not_author = "You are not allowed to delete a post that was made by someone else!";
/// "The value of message cannot be null or empty. Please provide a valid message!"
std::string empty_value(std::string_view field);
}  // namespace messages

/// Case-insensitive comparison folding ASCII letters only, so the result
/// never depends on the process locale (the seed used the current culture).
bool equals_ignore_case(std::string_view a, std::string_view b);

/// True when `text` is empty or only ASCII whitespace.
bool is_blank(std::string_view text);

class PostAggregate {
public:
    explicit PostAggregate(std::string id) : id_(std::move(id)) {}

    /// Rebuild from the snapshot state (see snapshot_json) taken at `version`.
    /// Throws std::runtime_error when the JSON is not a snapshot.
    static PostAggregate from_snapshot(std::string id, std::int64_t version, std::string_view state_json);

    const std::string& id() const { return id_; }
    /// Number of events applied: 0 for a post that does not exist.
    std::int64_t version() const { return version_; }
    bool exists() const { return version_ > 0; }
    bool active() const { return active_; }
    const std::string& author() const { return author_; }
    const std::string& message() const { return message_; }
    const std::string& date_posted() const { return date_posted_; }
    std::int64_t likes() const { return likes_; }
    const std::map<std::string, Comment>& comments() const { return comments_; }

    /// Apply one event (replay or after a successful append); version + 1.
    void apply(const DomainEvent& event);

    /// The state as JSON, for the snapshot store (version kept beside it).
    std::string snapshot_json() const;

    // Decisions. Inputs are already shaped (commands.hpp); ids are canonical.
    Decision create(const std::string& author, const std::string& message, const std::string& now) const;
    Decision edit_message(const std::string& message, const std::string& username) const;
    Decision like() const;
    Decision add_comment(const std::string& comment, const std::string& username, const std::string& comment_id,
                         const std::string& now) const;
    Decision edit_comment(const std::string& comment_id, const std::string& comment, const std::string& username,
                          const std::string& now) const;
    Decision remove_comment(const std::string& comment_id, const std::string& username) const;
    Decision remove(const std::string& username) const;

    bool operator==(const PostAggregate&) const = default;

private:
    std::string id_;
    std::int64_t version_ = 0;
    bool active_ = false;
    std::string author_, message_, date_posted_;
    std::int64_t likes_ = 0;
    std::map<std::string, Comment> comments_;
};

}  // namespace fanout::post_command
