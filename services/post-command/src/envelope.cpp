#include "envelope.hpp"

#include "fanout/common/json_object.hpp"

namespace fanout::post_command {

std::string make_envelope(const StoredEvent& event) {
    return common::json_object({{"eventId", event.event_id},
                                {"type", event.type},
                                {"aggregateId", event.aggregate_id},
                                {"aggregateType", "Post"},
                                {"version", event.version},
                                {"globalSequence", event.global_sequence},
                                {"occurredAt", event.occurred_at},
                                // Written by encode_data: already a JSON object.
                                {"data", common::JsonValue::raw(event.data)}},
                               256 + event.data.size());
}

}  // namespace fanout::post_command
