// The history routes through the running post-command on both backends:
// commands over HTTP, then the post's events page by page, its state as of a
// version or a time (a removed post before its removal), and clear 400s and
// 404s in the service's error shape.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "fixture.hpp"

using namespace fanout::test;

namespace {

rapidjson::Document json(const Reply& r) {
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    return doc;
}

class HistoryHttp : public ::testing::TestWithParam<StoreKind> {};

}  // namespace

TEST_P(HistoryHttp, EventsAndStateAsOfAVersionOrATime) {
    ServiceUnderTest service(GetParam(), with_yaml("event_store: {snapshot_interval: 3}\n"));
    service.start();
    CommandClient& http = *service.client;
    const std::string id = http.new_post("Alice", "hello");
    const std::string comment_id = http.add_comment(id, "nice", "Bob").field("commentId");
    for (int i = 0; i < 5; ++i) ASSERT_EQ(http.like(id).status, 200);
    ASSERT_EQ(http.send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"Alice"})").status, 200);
    const std::string base = "/api/v1/posts/" + id;

    // Events: 8 in pages of 3, oldest first.
    std::vector<std::int64_t> versions;
    std::string next = base + "/events?limit=3";
    std::string created_at, removed_at;
    for (int page = 0; page < 5 && !next.empty(); ++page) {
        const Reply r = http.send("GET", next);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto doc = json(r);
        for (const auto& e : doc["events"].GetArray()) {
            versions.push_back(e["version"].GetInt64());
            ASSERT_TRUE(e["data"].IsObject()) << r.body;
            EXPECT_TRUE(e["actor"].IsNull()) << "authentication is off: nobody identified";
            if (e["version"].GetInt64() == 1) {
                EXPECT_STREQ(e["type"].GetString(), "PostCreatedEvent");
                EXPECT_STREQ(e["data"]["author"].GetString(), "Alice");
                created_at = e["occurredAt"].GetString();
            }
            if (e["version"].GetInt64() == 8) removed_at = e["occurredAt"].GetString();
        }
        next = doc["next"].IsNull() ? "" : doc["next"].GetString();
    }
    EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));

    // State as of version 7: before the removal.
    Reply r = http.send("GET", base + "/state?version=7");
    ASSERT_EQ(r.status, 200) << r.body;
    auto doc = json(r);
    EXPECT_STREQ(doc["postId"].GetString(), id.c_str());
    EXPECT_EQ(doc["version"].GetInt64(), 7);
    EXPECT_FALSE(doc["deleted"].GetBool());
    EXPECT_EQ(doc["likes"].GetInt64(), 5);
    EXPECT_STREQ(doc["message"].GetString(), "hello");
    EXPECT_STREQ(doc["comments"][0]["commentId"].GetString(), comment_id.c_str());
    EXPECT_STREQ(doc["comments"][0]["username"].GetString(), "Bob");
    r = http.send("GET", base + "/state?version=3");
    EXPECT_EQ(json(r)["likes"].GetInt64(), 1) << r.body;

    // Now: removed.
    doc = json(http.send("GET", base + "/state"));
    EXPECT_TRUE(doc["deleted"].GetBool());
    EXPECT_EQ(doc["version"].GetInt64(), 8);

    // As of a time: the creation's time finds version 1 at least, the removal's finds 8.
    r = http.send("GET", base + "/state?at=" + created_at);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_GE(json(r)["version"].GetInt64(), 1);
    r = http.send("GET", base + "/state?at=" + removed_at);
    EXPECT_TRUE(json(r)["deleted"].GetBool()) << r.body;
    r = http.send("GET", base + "/state?at=2001-01-01T00:00:00Z");
    EXPECT_EQ(r.status, 404) << "the post did not exist then: " << r.body;
    EXPECT_NE(r.message().find("did not exist yet"), std::string::npos) << r.body;
    r = http.send("GET", base + "/state?at=2001-01-01T01:00:00%2B01:00");  // an offset, percent-encoded
    EXPECT_EQ(r.status, 404) << r.body;
    r = http.send("GET", base + "/state?at=1900-01-01T00:00:00Z");
    EXPECT_EQ(r.status, 404) << "a valid time before 1970 precedes every event: " << r.body;
    EXPECT_NE(r.message().find("did not exist yet at 1900-01-01T00:00:00Z"), std::string::npos) << r.body;
    r = http.send("GET", base + "/state?version=9");
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_NE(r.message().find("latest is 8"), std::string::npos) << r.body;
}

TEST_P(HistoryHttp, BadParametersAre400sAndUnknownPosts404s) {
    ServiceUnderTest service(GetParam());
    service.start();
    CommandClient& http = *service.client;
    const std::string id = http.new_post("Alice", "hello");
    const std::string base = "/api/v1/posts/" + id;
    const std::pair<std::string, std::string> bad[] = {
        {base + "/events?limit=0", "'limit' must be an integer from 1 to 1000"},
        {base + "/events?limit=1001", "'limit' must be an integer from 1 to 1000"},
        {base + "/events?fromVersion=abc", "'fromVersion' must be an integer"},
        {base + "/events?fromVersion=0", "'fromVersion' must be an integer"},
        {base + "/events?version=1", "Unknown query parameter 'version'"},
        {base + "/events?limit=5&limit=6", "'limit' is given twice"},
        {base + "/state?version=0", "'version' must be an integer"},
        {base + "/state?version=1&at=2026-12-05T10:00:00Z", "at most one of"},
        {base + "/state?at=yesterday", "'at' must be an RFC 3339 date-time"},
        {base + "/state?at=2026-13-05T10:00:00Z", "'at' must be an RFC 3339 date-time"},
        {base + "/state?at=2026-12-05T10:00:00", "'at' must be an RFC 3339 date-time"},  // no offset
        {base + "/state?at=2026-12-05%2010:00:00Z", "'at' must be an RFC 3339 date-time"},
        {base + "/state?at=2026-12-05T10:00:00%2B24:00", "'at' must be an RFC 3339 date-time"},
        {"/api/v1/posts/not-a-uuid/state", "must be a UUID"},
    };
    for (const auto& [path, message] : bad) {
        const Reply r = http.send("GET", path);
        EXPECT_EQ(r.status, 400) << path << ": " << r.body;
        EXPECT_NE(r.message().find(message), std::string::npos) << path << ": " << r.body;
    }
    const std::string unknown = "/api/v1/posts/99999999-2222-4333-8444-555555555555";
    for (const std::string& path : {unknown + "/events", unknown + "/state", unknown + "/state?version=1"}) {
        const Reply r = http.send("GET", path);
        EXPECT_EQ(r.status, 404) << path << ": " << r.body;
        EXPECT_NE(r.message().find("No post with id"), std::string::npos) << path << ": " << r.body;
    }
    EXPECT_EQ(http.send("GET", base + "/other").status, 404);
    const Reply past = http.send("GET", base + "/events?fromVersion=5");
    EXPECT_EQ(past.status, 200) << "an existing post past its last event: an empty page";
    EXPECT_EQ(json(past)["events"].Size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Store, HistoryHttp, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), store_name);
