// The outbox relay: nothing committed is lost when the relay dies between
// commit and publish, or when the broker is down while commands are
// accepted; a sequence committed late is not skipped.
#include <gtest/gtest.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

/// A mix of commands on a few posts; returns how many events they stored.
int run_commands(CommandClient& http, int posts) {
    int events = 0;
    for (int p = 0; p < posts; ++p) {
        const std::string id = http.new_post("author" + std::to_string(p), "post " + std::to_string(p));
        EXPECT_FALSE(id.empty());
        EXPECT_EQ(http.like(id).status, 200);
        EXPECT_EQ(http.add_comment(id, "hello", "reader").status, 200);
        EXPECT_EQ(http.like(id).status, 200);
        events += 4;
    }
    return events;
}

std::set<std::string> stored_event_ids(TestStore& store) {
    std::vector<std::string> ids(10000);
    store.sql() << "SELECT event_id FROM events", soci::into(ids);
    return {ids.begin(), ids.end()};
}

std::set<std::string> published_event_ids(const std::vector<TopicEvent>& events) {
    std::set<std::string> out;
    for (const auto& e : events) out.insert(e.event_id);
    return out;
}

class PostCommandRelay : public ::testing::TestWithParam<StoreKind> {};

}  // namespace

TEST_P(PostCommandRelay, KilledBetweenCommitAndPublishItPublishesEverythingOnceBack) {
    ServiceUnderTest service(GetParam());
    // A broker that is down: commands commit, nothing can be published.
    service.start(dead_brokers());
    const int stored = run_commands(*service.client, 5);
    const auto s = service.client->status();
    EXPECT_EQ(s["lastStoredSequence"].GetInt64(), stored);
    EXPECT_EQ(s["lastPublishedSequence"].GetInt64(), 0);
    EXPECT_EQ(s["lag"].GetInt64(), stored);
    service.process->kill9();  // the relay dies holding committed, unpublished events

    service.start();  // the real broker now
    const auto events = service.published(stored);
    expect_contract(events);
    EXPECT_EQ(published_event_ids(events), stored_event_ids(service.store));
    EXPECT_EQ(distinct_events(events).size(), static_cast<std::size_t>(stored));
}

TEST_P(PostCommandRelay, BrokerDownWhileCommandsAreAcceptedEverythingIsPublishedWhenItReturns) {
    ServiceUnderTest service(GetParam());
    service.start(dead_brokers());
    const int stored = run_commands(*service.client, 3);
    // The lag is visible in the log and the status route.
    EXPECT_TRUE(service.process->wait_for_log("relay: lag stored=" + std::to_string(stored) + " published=0", 10s))
        << service.process->log();
    // A clean stop with the broker still down: bounded by shutdown_timeout_ms, exit 0, nothing lost.
    EXPECT_EQ(service.process->stop(15s), 0) << service.process->log();
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), stored);

    service.start();  // the broker is back
    // The relay reports where it resumes before any new command can commit
    // (waiting here keeps the figures in the line exact).
    EXPECT_TRUE(service.process->wait_for_log("relay: publishing to topic " + service.topic +
                                                  " from sequence 1: lag stored=" + std::to_string(stored) +
                                                  " published=0 lag=" + std::to_string(stored),
                                              10s))
        << service.process->log();
    const int more = run_commands(*service.client, 2);
    const auto events = service.published(stored + more);
    expect_contract(events);
    EXPECT_EQ(published_event_ids(events), stored_event_ids(service.store));
    EXPECT_TRUE(service.process->wait_for_log(" lag=0", 10s)) << "the recovery is logged too";
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandRelay, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);

TEST(PostCommandRelayPipeline, ATinyWindowStillPublishesEveryEventOnceInSequenceOrderPerPartition) {
    // The relay produces while acknowledgements are outstanding; with a window
    // of three and reads of two, every step crosses a window boundary.
    ServiceUnderTest service(StoreKind::sqlite,
                             with_yaml("relay: {max_in_flight: 3, batch_size: 2, linger_ms: 0, lag_log_interval_ms: 200}\n"));
    service.start();
    const int stored = run_commands(*service.client, 15);
    const auto events = service.published(stored);
    expect_contract(events);
    EXPECT_EQ(events.size(), static_cast<std::size_t>(stored)) << "no failure, so no record twice";
    EXPECT_EQ(published_event_ids(events), stored_event_ids(service.store));
    std::map<std::int32_t, std::int64_t> last_by_partition;
    for (const auto& e : events) {
        EXPECT_GT(e.global_sequence, last_by_partition[e.record.partition])
            << "partition " << e.record.partition << " holds the relay's order";
        last_by_partition[e.record.partition] = e.global_sequence;
    }
}

TEST(PostCommandRelayPipeline, AnEventTheProducerRefusesHoldsTheRelayThereAndNothingOvertakesIt) {
    // librdkafka refuses a record over message.max.bytes before sending it:
    // the relay must stop at that event (visible in the status), never skip
    // it, and publish it and what follows, in order, once it can.
    ServiceUnderTest service(StoreKind::sqlite,
                             with_yaml("kafka: {properties: {message.max.bytes: \"1000\"}}\n", 1));
    service.start();
    const std::string small = service.client->new_post("alice", "small");  // sequence 1
    ASSERT_TRUE(service.client->wait_published(1, 30s)) << service.process->log();
    const std::string big = service.client->new_post("bob", std::string(3000, 'x'));  // sequence 2: too large
    ASSERT_FALSE(big.empty());
    ASSERT_EQ(service.client->like(small).status, 200);  // sequence 3
    ASSERT_TRUE(wait_until(
        [&] {
            const auto s = service.client->status();
            if (!s.HasMember("relay") || !s["relay"].IsObject() || !s["relay"].HasMember("lastError")) return false;
            const auto& error = s["relay"]["lastError"];
            return error.IsString() && std::string(error.GetString()).find("publishing sequence 2") != std::string::npos;
        },
        20s))
        << service.process->log();
    // Several retries, each logged; the relay stays at sequence 1 meanwhile.
    EXPECT_TRUE(wait_until(
        [&] {
            const std::string log = service.process->log();
            std::size_t failures = 0;
            for (auto at = log.find("publishing sequence 2 failed"); at != std::string::npos;
                 at = log.find("publishing sequence 2 failed", at + 1)) {
                ++failures;
            }
            return failures >= 3;
        },
        20s))
        << service.process->log();
    EXPECT_TRUE(wait_until(
        [&] {
            const auto s = service.client->status();
            return s.HasMember("lag") && s["lastPublishedSequence"].GetInt64() == 1 &&
                   s["lag"].GetInt64() == 2;
        },
        10s))
        << service.process->log();
    EXPECT_EQ(service.records_on_topic(), 1u) << "nothing after the refused event was published";

    EXPECT_EQ(service.process->stop(15s), 0) << service.process->log();
    service.set_extra_yaml("");
    service.start();
    const auto events = service.published(3);
    expect_contract(events);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[1].global_sequence, 2);
    EXPECT_EQ(events[1].aggregate_id, big);
    EXPECT_EQ(events[2].global_sequence, 3);
}

TEST(PostCommandRelayGaps, ALowerSequenceCommittedLateIsPublishedBeforeTheHigherOne) {
    // A writer that does not serialise its appends (simulated by hand) commits
    // sequence 3 before 2. The relay waits for 2 (within gap_grace) instead of
    // skipping it; a sequence that never commits is passed after the grace.
    ServiceUnderTest service(StoreKind::sqlite,
                             with_yaml("relay: {gap_grace_ms: 3000, lag_log_interval_ms: 200}\n", 1));
    service.start();
    const std::string id = service.client->new_post("alice", "gaps");  // sequence 1
    ASSERT_TRUE(service.client->wait_published(1, 30s));
    service.insert_like_by_hand(id, 3, 3);
    std::this_thread::sleep_for(500ms);  // the relay has seen the hole and is waiting
    EXPECT_EQ(service.client->status()["lastPublishedSequence"].GetInt64(), 1);
    service.insert_like_by_hand(id, 2, 2);
    ASSERT_TRUE(service.client->wait_published(3, 10s));
    auto events = read_topic(service.topic, 3);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[1].global_sequence, 2);
    EXPECT_EQ(events[2].global_sequence, 3);

    service.insert_like_by_hand(id, 5, 4);  // 4 never commits
    ASSERT_TRUE(service.client->wait_published(5, 15s));
    EXPECT_TRUE(service.process->wait_for_log("sequences 4..4 never committed", 1s)) << service.process->log();
    events = read_topic(service.topic, 4);
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[3].global_sequence, 5);
}
