#pragma once
// The Kafka record of a stored event, per the event contract (docs/events.md):
// key = post id; value = the JSON envelope; headers event-type, event-id,
// content-type.
#include <string>

#include "event_store.hpp"

namespace fanout::post_command {

/// `{"eventId","type","aggregateId","aggregateType":"Post","version",
///   "globalSequence","occurredAt","data":{...}}`
std::string make_envelope(const StoredEvent& event);

namespace header {
inline constexpr const char* event_type = "event-type";
inline constexpr const char* event_id = "event-id";
inline constexpr const char* content_type = "content-type";
/// Only on records republished by restoreReadDb: consumers that are not
/// idempotent (notifications) can skip replays.
inline constexpr const char* replay = "fanout-replay";
}  // namespace header

}  // namespace fanout::post_command
