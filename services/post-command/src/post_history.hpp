#pragma once
// A post's history as the audit-trail routes read it: its events page by
// page, and its state as of a version or a time, rebuilt from the newest
// snapshot at or before that point plus the events after it (the as-of read
// of an event-sourced aggregate, like Marten's AggregateStreamAsync(id,
// version, timestamp)). No HTTP here: history_routes.hpp answers with it.
//
// Threading: the functions taking an EventReader use it on the caller's
// thread (a reader leased from the ReaderPool, never the command writer).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event_store.hpp"
#include "post_aggregate.hpp"

namespace fanout::post_command {

/// The post `history` holds: its snapshot (if any) plus its events, which
/// must follow it version by version. Throws std::runtime_error on a gap or
/// an event this service cannot decode (a damaged store, never client input).
PostAggregate replay(const std::string& post_id, const AggregateHistory& history);

/// Which state to read: the latest, as of a version, or as of a UTC time.
struct AsOf {
    enum class Kind { current, version, time } kind = Kind::current;
    std::int64_t version = 0;  ///< Kind::version: 1 or more
    std::string time;          ///< Kind::time: RFC 3339 UTC with milliseconds (format_rfc3339_ms)
};

struct PostAsOf {
    /// Nothing when the post had no event by that point.
    std::optional<PostAggregate> post;
    /// The post's latest version now (0: no such post).
    std::int64_t latest_version = 0;
};

/// The post as of `point`. A version past the latest finds nothing (that
/// version does not exist yet); a time past the last event finds the latest.
PostAsOf read_post_as_of(EventReader& reader, const std::string& post_id, const AsOf& point);

struct EventPage {
    std::vector<StoredEvent> events;
    std::optional<std::int64_t> next_from_version;  ///< set when more events follow
    std::int64_t latest_version = 0;                ///< read only when the page is empty (0: no such post)
};

/// Up to `limit` events of `post_id` from `from_version` on, oldest first.
EventPage read_event_page(EventReader& reader, const std::string& post_id, std::int64_t from_version,
                          std::size_t limit);

/// The post's state as JSON: postId, version, author, message, datePosted,
/// likes, deleted, comments [{commentId, username, comment}] (by commentId).
std::string post_state_json(const PostAggregate& post);

/// A page as JSON: postId, events [{version, type, occurredAt, eventId,
/// globalSequence, actor (null when none), data (the event's object)}],
/// nextFromVersion and next (the next page's path with `limit`; both null on
/// the last page).
std::string event_page_json(const std::string& post_id, const EventPage& page, std::size_t limit);

}  // namespace fanout::post_command
