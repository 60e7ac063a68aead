#include "envelope.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fanout::post_command {

std::string make_envelope(const StoredEvent& event) {
    rapidjson::StringBuffer buffer;
    buffer.Reserve(256 + event.data.size());
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("eventId");
    w.String(event.event_id);
    w.Key("type");
    w.String(event.type);
    w.Key("aggregateId");
    w.String(event.aggregate_id);
    w.Key("aggregateType");
    w.String("Post");
    w.Key("version");
    w.Int64(event.version);
    w.Key("globalSequence");
    w.Int64(event.global_sequence);
    w.Key("occurredAt");
    w.String(event.occurred_at);
    w.Key("data");
    // Written by encode_data: already a JSON object.
    w.RawValue(event.data.data(), event.data.size(), rapidjson::kObjectType);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fanout::post_command
