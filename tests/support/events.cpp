#include "events.hpp"

#include <cstdio>

namespace fanout::test {
namespace {

std::string uuid_from(std::mt19937_64& rng) {
    const std::uint64_t a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                  static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

std::string timestamp(std::int64_t seq) {
    // Deterministic, increasing, RFC 3339 UTC with milliseconds.
    const std::int64_t ms = 1'795'000'000'000LL + seq * 37;
    const std::int64_t secs = ms / 1000;
    const int h = static_cast<int>((secs / 3600) % 24), m = static_cast<int>((secs / 60) % 60),
              s = static_cast<int>(secs % 60);
    char buf[40];
    std::snprintf(buf, sizeof buf, "2026-11-%02dT%02d:%02d:%02d.%03dZ", 1 + static_cast<int>((secs / 86400) % 28), h, m, s,
                  static_cast<int>(ms % 1000));
    return buf;
}

}  // namespace

std::string make_envelope(const std::string& event_id, const std::string& type, const std::string& aggregate_id,
                          std::int64_t version, std::int64_t global_sequence, const std::string& occurred_at,
                          const std::string& data_json) {
    return "{\"eventId\":\"" + event_id + "\",\"type\":\"" + type + "\",\"aggregateId\":\"" + aggregate_id +
           "\",\"aggregateType\":\"Post\",\"version\":" + std::to_string(version) +
           ",\"globalSequence\":" + std::to_string(global_sequence) + ",\"occurredAt\":\"" + occurred_at +
           "\",\"data\":" + data_json + "}";
}

EventGenerator::EventGenerator(std::size_t posts, std::uint64_t seed)
    : rng_(seed), versions_(posts, 0), comments_(posts, 0) {}

GeneratedEvent EventGenerator::next() {
    const std::size_t post = rng_() % versions_.size();
    std::mt19937_64 id_rng(post * 7919 + 17);
    const std::string post_id = uuid_from(id_rng);
    const std::string author = "author" + std::to_string(post % 37);
    const std::int64_t version = ++versions_[post];
    const std::int64_t seq = ++sequence_;
    const std::string when = timestamp(seq);
    std::string type, data;
    if (version == 1) {
        type = "PostCreatedEvent";
        data = "{\"author\":\"" + author + "\",\"message\":\"Hello from " + author +
               ", this is post number " + std::to_string(post) + " on Fanout\",\"datePosted\":\"" + when + "\"}";
    } else {
        const int pick = static_cast<int>(rng_() % 10);
        const std::string comment_id = post_id.substr(0, 24) + std::to_string(1000 + comments_[post]);
        if (pick < 5) {
            type = "PostLikedEvent";
            data = "{}";
        } else if (pick < 7) {
            type = "CommentAddedEvent";
            ++comments_[post];
            data = "{\"commentId\":\"" + post_id.substr(0, 24) + std::to_string(1000 + comments_[post]) +
                   "\",\"comment\":\"Nice post, " + author + "!\",\"username\":\"reader" + std::to_string(seq % 91) +
                   "\",\"commentDate\":\"" + when + "\"}";
        } else if (pick < 8) {
            type = "MessageUpdatedEvent";
            data = "{\"message\":\"Edited message of post " + std::to_string(post) + " at version " +
                   std::to_string(version) + "\"}";
        } else if (pick < 9 && comments_[post] > 0) {
            type = "CommentUpdatedEvent";
            data = "{\"commentId\":\"" + comment_id + "\",\"comment\":\"Edited comment\",\"username\":\"reader1\","
                   "\"editDate\":\"" + when + "\"}";
        } else if (comments_[post] > 0) {
            type = "CommentRemovedEvent";
            data = "{\"commentId\":\"" + comment_id + "\"}";
            --comments_[post];
        } else {
            type = "PostLikedEvent";
            data = "{}";
        }
    }
    GeneratedEvent e;
    e.key = post_id;
    e.type = type;
    e.event_id = uuid_from(rng_);
    e.value = make_envelope(e.event_id, type, post_id, version, seq, when, data);
    e.headers = {{"event-type", type}, {"event-id", e.event_id}, {"content-type", "application/json"}};
    return e;
}

}  // namespace fanout::test
