#include "post_history.hpp"

#include <stdexcept>

#include "domain_events.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::post_command {

PostAggregate replay(const std::string& post_id, const AggregateHistory& history) {
    PostAggregate post = history.snapshot
                             ? PostAggregate::from_snapshot(post_id, history.snapshot->version, history.snapshot->state)
                             : PostAggregate(post_id);
    for (const StoredEvent& e : history.events) {
        if (e.version != post.version() + 1) {
            throw std::runtime_error("post " + post_id + ": stored version " + std::to_string(e.version) +
                                     " follows version " + std::to_string(post.version()));
        }
        post.apply(decode_event(e.type, e.data));
    }
    return post;
}

PostAsOf read_post_as_of(EventReader& reader, const std::string& post_id, const AsOf& point) {
    PostAsOf out;
    out.latest_version = reader.last_version(post_id);
    std::int64_t version = out.latest_version;
    if (point.kind == AsOf::Kind::version) {
        if (point.version > out.latest_version) return out;
        version = point.version;
    } else if (point.kind == AsOf::Kind::time) {
        version = reader.version_at(post_id, point.time);
    }
    if (version <= 0) return out;
    out.post = replay(post_id, reader.load_as_of(post_id, version));
    if (out.post->version() != version) {
        throw std::runtime_error("post " + post_id + ": rebuilt version " + std::to_string(out.post->version()) +
                                 ", expected " + std::to_string(version));
    }
    return out;
}

EventPage read_event_page(EventReader& reader, const std::string& post_id, std::int64_t from_version,
                          std::size_t limit) {
    EventPage page;
    page.events = reader.read_stream(post_id, from_version, limit + 1);  // one more: is there a next page?
    if (page.events.size() > limit) {
        page.next_from_version = page.events[limit].version;
        page.events.resize(limit);
    }
    if (page.events.empty()) page.latest_version = reader.last_version(post_id);
    return page;
}

std::string post_state_json(const PostAggregate& post) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    common::write_members(w, {{"postId", post.id()},
                              {"version", post.version()},
                              {"author", post.author()},
                              {"message", post.message()},
                              {"datePosted", post.date_posted()},
                              {"likes", post.likes()},
                              {"deleted", !post.active()}});
    w.Key("comments");
    w.StartArray();
    for (const auto& [comment_id, c] : post.comments()) {
        w.StartObject();
        common::write_members(w, {{"commentId", comment_id}, {"username", c.username}, {"comment", c.comment}});
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string event_page_json(const std::string& post_id, const EventPage& page, std::size_t limit) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    common::write_members(w, {{"postId", post_id}});
    w.Key("events");
    w.StartArray();
    for (const StoredEvent& e : page.events) {
        w.StartObject();
        common::write_members(w, {{"version", e.version},
                                  {"type", e.type},
                                  {"occurredAt", e.occurred_at},
                                  {"eventId", e.event_id},
                                  {"globalSequence", e.global_sequence},
                                  {"actor", common::JsonValue::or_null(e.actor)},
                                  // Written by this service from encode_data: a JSON object.
                                  {"data", common::JsonValue::raw(e.data)}});
        w.EndObject();
    }
    w.EndArray();
    if (page.next_from_version) {
        const std::string next = "/api/v1/posts/" + post_id + "/events?fromVersion=" +
                                 std::to_string(*page.next_from_version) + "&limit=" + std::to_string(limit);
        common::write_members(w, {{"nextFromVersion", *page.next_from_version}, {"next", next}});
    } else {
        common::write_members(w, {{"nextFromVersion", nullptr}, {"next", nullptr}});
    }
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace fanout::post_command
