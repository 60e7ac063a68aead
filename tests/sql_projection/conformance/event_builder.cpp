#include "event_builder.hpp"

#include <algorithm>
#include <cstdio>

#include "events.hpp"

namespace fanout::test {

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string created_data(const std::string& author, const std::string& message, const std::string& date) {
    return "{\"author\":" + json_string(author) + ",\"message\":" + json_string(message) +
           ",\"datePosted\":" + json_string(date) + "}";
}

std::string message_data(const std::string& message) { return "{\"message\":" + json_string(message) + "}"; }

std::string comment_added_data(const std::string& id, const std::string& comment, const std::string& user,
                               const std::string& date) {
    return "{\"commentId\":" + json_string(id) + ",\"comment\":" + json_string(comment) +
           ",\"username\":" + json_string(user) + ",\"commentDate\":" + json_string(date) + "}";
}

std::string comment_updated_data(const std::string& id, const std::string& comment, const std::string& user,
                                 const std::string& edit_date) {
    return "{\"commentId\":" + json_string(id) + ",\"comment\":" + json_string(comment) +
           ",\"username\":" + json_string(user) + ",\"editDate\":" + json_string(edit_date) + "}";
}

std::string comment_removed_data(const std::string& id) { return "{\"commentId\":" + json_string(id) + "}"; }

FakeEvent PartitionEvents::next(const std::string& type, const std::string& post, std::int64_t version,
                                const std::string& data) {
    const std::int64_t seq = ++sequence_;
    char id[64];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012lld", static_cast<long long>(seq));
    return raw_keyed(make_envelope(id, type, post, version, seq, "2026-11-22T10:00:00.000Z", data), post);
}

FakeEvent PartitionEvents::raw(const std::string& payload) { return raw_keyed(payload, "k"); }

FakeEvent PartitionEvents::raw_keyed(const std::string& payload, const std::string& key) {
    return record(k_topic, partition_, offset_++, payload, key);
}

FakeEvent record(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload, std::string key) {
    return FakeEvent::from_record({.topic = std::move(topic),
                                   .partition = partition,
                                   .offset = offset,
                                   .key = std::move(key),
                                   .payload = std::move(payload)});
}

std::vector<std::string> describe(const std::vector<Outcome>& outcomes) {
    std::vector<std::string> out;
    for (const auto& o : outcomes) {
        out.push_back(o.is_done() ? std::string("done") : std::string(to_string(o.kind())) + ": " + o.reason());
    }
    return out;
}

std::vector<std::string> kinds(const std::vector<Outcome>& outcomes) {
    std::vector<std::string> out;
    for (const auto& o : outcomes) out.emplace_back(to_string(o.kind()));
    return out;
}

bool all_done(const std::vector<Outcome>& outcomes) {
    return std::all_of(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.is_done(); });
}

}  // namespace fanout::test
