// The Kafka envelope follows the event contract exactly.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "envelope.hpp"
#include "utc_clock.hpp"

using namespace fanout::post_command;

TEST(PostCommandEnvelope, CarriesEveryContractFieldWithDataEmbedded) {
    StoredEvent e{42,
                  "0e1795a8-20ed-4e12-a26e-14f94ebd2f87",
                  "b52fa405-da02-4558-9994-f21fb6adaeeb",
                  3,
                  "CommentAddedEvent",
                  R"({"commentId":"c","comment":"a \"quote\"","username":"u","commentDate":"d"})",
                  "2026-11-22T10:00:00.123Z"};
    rapidjson::Document doc;
    doc.Parse(make_envelope(e));
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_STREQ(doc["eventId"].GetString(), "0e1795a8-20ed-4e12-a26e-14f94ebd2f87");
    EXPECT_STREQ(doc["type"].GetString(), "CommentAddedEvent");
    EXPECT_STREQ(doc["aggregateId"].GetString(), "b52fa405-da02-4558-9994-f21fb6adaeeb");
    EXPECT_STREQ(doc["aggregateType"].GetString(), "Post");
    EXPECT_EQ(doc["version"].GetInt64(), 3);
    EXPECT_EQ(doc["globalSequence"].GetInt64(), 42);
    EXPECT_STREQ(doc["occurredAt"].GetString(), "2026-11-22T10:00:00.123Z");
    ASSERT_TRUE(doc["data"].IsObject());
    EXPECT_STREQ(doc["data"]["comment"].GetString(), "a \"quote\"");
    EXPECT_EQ(doc.MemberCount(), 8u);
}

TEST(PostCommandClock, FormatsRfc3339WithMillisecondsInUtc) {
    const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123LL));
    EXPECT_EQ(format_rfc3339_ms(t), "2026-11-18T11:06:40.123Z");
}
