#pragma once
// Talking to post-command over HTTP, and reading what it published.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "kafka_test.hpp"

namespace httplib {
class Client;
}

namespace fanout::test {

struct Reply {
    int status = 0;  ///< 0 when the connection failed
    std::string body;
    std::string etag;
    std::string location;
    /// A string field of the JSON body ("" when absent or not JSON).
    std::string field(const char* name) const;
    std::string message() const { return field("message"); }
    bool is_json_object() const;
};

/// One HTTP/1.1 keep-alive connection; not thread-safe (one per thread).
class CommandClient {
public:
    explicit CommandClient(int port);
    ~CommandClient();

    Reply send(const std::string& method, const std::string& path, const std::string& body = "",
               const std::vector<std::pair<std::string, std::string>>& headers = {});

    /// newPost; the new post's id ("" and a test failure otherwise).
    std::string new_post(const std::string& author, const std::string& message);
    Reply like(const std::string& id, const std::string& if_match = "");
    Reply add_comment(const std::string& id, const std::string& comment, const std::string& username);
    /// GET /api/v1/status as JSON.
    rapidjson::Document status();
    /// Wait until the relay published everything stored (lag 0, stored >= min_stored).
    bool wait_published(std::int64_t min_stored, std::chrono::milliseconds timeout);

private:
    std::unique_ptr<httplib::Client> http_;
};

/// A published record, parsed.
struct TopicEvent {
    Record record;
    std::string event_id, type, aggregate_id, aggregate_type, occurred_at;
    std::int64_t version = 0, global_sequence = 0;
    std::string data;  ///< the data object as JSON text
    bool replay = false;
};

std::vector<TopicEvent> parse_events(const std::vector<Record>& records);

/// The first occurrence of each event id, in topic order (at-least-once
/// delivery may repeat records).
std::vector<TopicEvent> distinct_events(const std::vector<TopicEvent>& events);

/// Everything on `topic` once the broker holds `at_least` records
/// (all partitions, from the beginning).
std::vector<TopicEvent> read_topic(const std::string& topic, std::size_t at_least,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// The event contract (docs/events.md), checked with gtest expectations:
/// key = aggregate id, headers event-type/event-id/content-type, envelope
/// fields, occurredAt UTC with ms; per post (first occurrences): versions
/// 1, 2, 3... and increasing global sequences, all on one partition.
void expect_contract(const std::vector<TopicEvent>& events);

/// Per post id: PostLikedEvent count among distinct events.
std::map<std::string, std::int64_t> likes_by_post(const std::vector<TopicEvent>& events);

}  // namespace fanout::test
