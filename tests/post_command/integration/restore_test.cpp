// restoreReadDb: 202 at once, then the store republished in order, in pages,
// with its progress visible; only what the relay has already published, so
// an event's first copy on the topic is always its live, unmarked one.
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
    ASSERT_TRUE(service.wait_restore_completed(progress)) << service.process->log();
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

TEST(PostCommandRestore, ARestoreWhileTheRelayIsBehindNeverPublishesAnEventMarkedBeforeItsLiveCopy) {
    // The relay is held behind a missing sequence (its gap grace is long) while
    // commands append after it; a restore then runs; then the missing
    // sequence commits late and the relay catches up. A consumer that skips
    // `fanout-replay` records must still see every event: the first copy of
    // each on the topic is unmarked.
    ServiceUnderTest service(StoreKind::sqlite,
                             with_yaml("relay: {gap_grace_ms: 600000, lag_log_interval_ms: 200}\n", 1));
    service.start();
    CommandClient& http = *service.client;
    const std::string a = http.new_post("alice", "before");  // sequence 1
    ASSERT_EQ(http.like(a).status, 200);                     // 2
    ASSERT_TRUE(http.wait_published(2, 30s));

    service.insert_like_by_hand(a, 4, 4);                          // 3 is missing: the relay waits at 2
    const std::string b = http.new_post("bob", "while behind");    // 5
    ASSERT_EQ(http.like(b).status, 200);                           // 6
    ASSERT_FALSE(http.new_post("carol", "while behind").empty());  // 7
    auto s = http.status();
    ASSERT_EQ(s["lastStoredSequence"].GetInt64(), 7);
    ASSERT_EQ(s["lastPublishedSequence"].GetInt64(), 2) << "the relay is behind";

    ASSERT_EQ(http.send("POST", "/api/v1/restoreReadDb").status, 202);
    rapidjson::Document progress;
    ASSERT_TRUE(service.wait_restore_completed(progress)) << service.process->log();
    EXPECT_EQ(progress["targetSequence"].GetInt64(), 2) << "the relay's published position, not the store's end";
    EXPECT_EQ(progress["publishedEvents"].GetUint64(), 2u);

    service.insert_like_by_hand(a, 3, 3);  // committed late: the relay catches up
    ASSERT_TRUE(http.wait_published(7, 30s)) << service.process->log();
    const auto events = read_topic(service.topic, 2 + 2 + 5);
    std::map<std::string, bool> first_copy_marked;
    for (const auto& e : events) first_copy_marked.emplace(e.event_id, e.replay);
    EXPECT_EQ(first_copy_marked.size(), 7u);
    for (const auto& [event_id, marked] : first_copy_marked) {
        EXPECT_FALSE(marked) << "event " << event_id << " appeared first as a replay";
    }
    EXPECT_EQ(events.size(), 9u) << "2 live, their 2 replays, then 5 live";
    expect_contract(events);
}
