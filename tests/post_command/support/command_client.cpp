#include "command_client.hpp"

#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http_request.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::test {

std::string Reply::field(const char* name) const {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    if (doc.HasParseError() || !doc.IsObject()) return {};
    const auto it = doc.FindMember(name);
    return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

bool Reply::is_json_object() const {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    return !doc.HasParseError() && doc.IsObject();
}

CommandClient::CommandClient(int port) : http_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
    http_->set_keep_alive(true);
    http_->set_tcp_nodelay(true);
    http_->set_read_timeout(30, 0);
    http_->set_write_timeout(30, 0);
}

CommandClient::~CommandClient() = default;

Reply CommandClient::send(const std::string& method, const std::string& path, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    const HttpReply r = send_request(*http_, method, path, body, headers, method == "GET" ? "" : "application/json",
                                     {"ETag", "Location"});
    return Reply{r.status < 0 ? 0 : r.status, r.body, r.headers[0], r.headers[1]};
}

std::string CommandClient::new_post(const std::string& author, const std::string& message) {
    fanout::common::JsonBuffer b;
    fanout::common::JsonWriter w(b);
    w.StartObject();
    w.Key("author");
    w.String(author);
    w.Key("message");
    w.String(message);
    w.EndObject();
    const Reply r = send("POST", "/api/v1/newPost", b.GetString());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.field("id");
}

Reply CommandClient::like(const std::string& id, const std::string& if_match) {
    if (if_match.empty()) return send("PUT", "/api/v1/likePost/" + id);
    return send("PUT", "/api/v1/likePost/" + id, "", {{"If-Match", if_match}});
}

Reply CommandClient::add_comment(const std::string& id, const std::string& comment, const std::string& username) {
    return send("PUT", "/api/v1/addComment/" + id,
                "{\"comment\":\"" + comment + "\",\"username\":\"" + username + "\"}");
}

rapidjson::Document CommandClient::status() {
    rapidjson::Document doc;
    const Reply r = send("GET", "/api/v1/status");
    doc.Parse(r.body.c_str());
    if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
    return doc;
}

bool CommandClient::wait_published(std::int64_t min_stored, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            const auto s = status();
            return s.HasMember("lag") && s["lag"].GetInt64() == 0 && s["lastStoredSequence"].GetInt64() >= min_stored;
        },
        timeout);
}

std::vector<TopicEvent> parse_events(const std::vector<Record>& records) {
    std::vector<TopicEvent> out;
    for (const Record& r : records) {
        TopicEvent e;
        e.record = r;
        rapidjson::Document doc;
        doc.Parse(r.value.c_str());
        if (doc.HasParseError() || !doc.IsObject()) {
            ADD_FAILURE() << "record value is not a JSON object: " << r.value;
            continue;
        }
        auto text = [&](const char* name) {
            const auto it = doc.FindMember(name);
            return it != doc.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
        };
        auto integer = [&](const char* name) -> std::int64_t {
            const auto it = doc.FindMember(name);
            return it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : -1;
        };
        e.event_id = text("eventId");
        e.type = text("type");
        e.aggregate_id = text("aggregateId");
        e.aggregate_type = text("aggregateType");
        e.occurred_at = text("occurredAt");
        e.version = integer("version");
        e.global_sequence = integer("globalSequence");
        const auto data = doc.FindMember("data");
        if (data != doc.MemberEnd()) {
            fanout::common::JsonBuffer b;
            fanout::common::JsonWriter w(b);
            data->value.Accept(w);
            e.data = b.GetString();
        }
        e.replay = r.header("fanout-replay") == "true";
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<TopicEvent> distinct_events(const std::vector<TopicEvent>& events) {
    std::set<std::string> seen;
    std::vector<TopicEvent> out;
    for (const auto& e : events) {
        if (seen.insert(e.event_id).second) out.push_back(e);
    }
    return out;
}

std::vector<TopicEvent> read_topic(const std::string& topic, std::size_t at_least, std::chrono::milliseconds timeout) {
    return parse_events(consume_all(topic, at_least, timeout));
}

void expect_contract(const std::vector<TopicEvent>& events) {
    static const std::regex rfc3339_ms(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    static const std::regex uuid(R"(^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$)");
    static const std::set<std::string> types = {"PostCreatedEvent",  "MessageUpdatedEvent", "PostLikedEvent",
                                                "CommentAddedEvent", "CommentUpdatedEvent", "CommentRemovedEvent",
                                                "PostRemovedEvent"};
    for (const auto& e : events) {
        EXPECT_EQ(e.record.key, e.aggregate_id);
        EXPECT_EQ(e.record.header("event-type"), e.type);
        EXPECT_EQ(e.record.header("event-id"), e.event_id);
        EXPECT_EQ(e.record.header("content-type"), "application/json");
        EXPECT_EQ(e.aggregate_type, "Post");
        EXPECT_TRUE(types.count(e.type)) << e.type;
        EXPECT_TRUE(std::regex_match(e.event_id, uuid)) << e.event_id;
        EXPECT_TRUE(std::regex_match(e.aggregate_id, uuid)) << e.aggregate_id;
        EXPECT_TRUE(std::regex_match(e.occurred_at, rfc3339_ms)) << e.occurred_at;
        EXPECT_GT(e.global_sequence, 0);
        EXPECT_FALSE(e.data.empty());
    }
    struct PostStream {
        std::int64_t version = 0, sequence = 0;
        std::int32_t partition = -1;
    };
    std::map<std::string, PostStream> posts;
    for (const auto& e : distinct_events(events)) {
        PostStream& p = posts[e.aggregate_id];
        EXPECT_EQ(e.version, p.version + 1) << "post " << e.aggregate_id << " " << e.type;
        EXPECT_GT(e.global_sequence, p.sequence) << "post " << e.aggregate_id;
        if (p.partition >= 0) {
            EXPECT_EQ(e.record.partition, p.partition) << "one post, one partition";
        }
        if (p.version == 0) {
            EXPECT_EQ(e.type, "PostCreatedEvent");
        }
        p = PostStream{e.version, e.global_sequence, e.record.partition};
    }
}

std::map<std::string, std::int64_t> likes_by_post(const std::vector<TopicEvent>& events) {
    std::map<std::string, std::int64_t> out;
    for (const auto& e : distinct_events(events)) {
        if (e.type == "PostLikedEvent") ++out[e.aggregate_id];
    }
    return out;
}

}  // namespace fanout::test
