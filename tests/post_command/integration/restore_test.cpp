// restoreReadDb: 202 at once, then the whole store republished in order, in
// pages, with its progress visible.
#include <gtest/gtest.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

TEST(PostCommandRestore, RepublishesTheWholeStoreInOrderAndReportsProgress) {
    ServiceUnderTest service(StoreKind::sqlite, with_yaml("restore: {page_size: 7}\n", 1));
    service.start();
    CommandClient& http = *service.client;
    for (int p = 0; p < 5; ++p) {
        const std::string id = http.new_post("a" + std::to_string(p), "m");
        for (int i = 0; i < 5; ++i) ASSERT_EQ(http.like(id).status, 200);
    }
    ASSERT_TRUE(http.wait_published(30, 30s));

    const Reply accepted = http.send("POST", "/api/v1/restoreReadDb");
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    EXPECT_EQ(accepted.location, "/api/v1/restoreReadDb");
    rapidjson::Document progress;
    ASSERT_TRUE(wait_until(
        [&] {
            progress.Parse(http.send("GET", "/api/v1/restoreReadDb").body.c_str());
            return progress.IsObject() && std::string(progress["state"].GetString()) == "completed";
        },
        30s))
        << service.process->log();
    EXPECT_EQ(progress["targetSequence"].GetInt64(), 30);
    EXPECT_EQ(progress["replayedSequence"].GetInt64(), 30);
    EXPECT_EQ(progress["publishedEvents"].GetUint64(), 30u);
    EXPECT_EQ(progress["percent"].GetDouble(), 100.0);

    const auto events = read_topic(service.topic, 60);
    ASSERT_EQ(events.size(), 60u);
    for (std::size_t i = 0; i < 30; ++i) {
        EXPECT_FALSE(events[i].replay);
        EXPECT_TRUE(events[30 + i].replay) << "replays are marked for non-idempotent consumers";
        EXPECT_EQ(events[30 + i].event_id, events[i].event_id) << "the same events, in the same order";
        EXPECT_EQ(events[30 + i].record.value, events[i].record.value);
    }
    expect_contract(events);
    // Commands still work after a restore, and the relay continues.
    EXPECT_FALSE(http.new_post("late", "after restore").empty());
    ASSERT_TRUE(http.wait_published(31, 30s));
    EXPECT_STREQ(http.status()["restore"]["state"].GetString(), "completed");
}

TEST(PostCommandRestore, AnEmptyStoreCompletesAtOnce) {
    ServiceUnderTest service(StoreKind::postgresql);
    service.start();
    ASSERT_TRUE(service.wait_leading()) << "restores run on the leading relay";
    EXPECT_EQ(service.client->send("POST", "/api/v1/restoreReadDb").status, 202);
    ASSERT_TRUE(wait_until(
        [&] { return service.client->send("GET", "/api/v1/restoreReadDb").field("state") == "completed"; }, 30s));
}
