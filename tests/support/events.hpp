#pragma once
// Realistic post events, shaped by docs/events.md.
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace fanout::test {

struct GeneratedEvent {
    std::string key;    ///< post id
    std::string type;   ///< e.g. PostLikedEvent
    std::string event_id;
    std::string value;  ///< the JSON envelope
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Deterministic stream of envelopes over `posts` posts: every post starts
/// with PostCreatedEvent, versions are contiguous per post, global sequence
/// is contiguous over the stream.
class EventGenerator {
public:
    explicit EventGenerator(std::size_t posts = 100, std::uint64_t seed = 42);
    GeneratedEvent next();

private:
    std::mt19937_64 rng_;
    std::vector<std::int64_t> versions_;
    std::vector<int> comments_;
    std::int64_t sequence_ = 0;
};

/// One envelope with explicit fields.
std::string make_envelope(const std::string& event_id, const std::string& type, const std::string& aggregate_id,
                          std::int64_t version, std::int64_t global_sequence, const std::string& occurred_at,
                          const std::string& data_json);

}  // namespace fanout::test
