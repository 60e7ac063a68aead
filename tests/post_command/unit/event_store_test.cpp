// The SQL event store on a real SQLite file: optimistic concurrency by the
// unique key, ordered reads, snapshots, the relay's position, and the
// group-commit appender.
#include <thread>

#include <gtest/gtest.h>

#include "appender.hpp"
#include "event_store.hpp"
#include "process.hpp"

using namespace fanout::post_command;
using fanout::test::TempDir;

namespace {

struct SqliteStore {
    TempDir dir;
    StoreLocation location{Backend::sqlite, (dir.path() / "events.db").string()};
    SqliteStore() {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }
};

AppendRequest request(const std::string& id, std::int64_t expected, std::size_t events = 1) {
    AppendRequest r;
    r.aggregate_id = id;
    r.expected_version = expected;
    for (std::size_t i = 0; i < events; ++i) {
        r.events.push_back(NewEvent{"e-" + id + "-" + std::to_string(expected + 1 + static_cast<std::int64_t>(i)),
                                    "PostLikedEvent", "{}", "2026-11-22T10:00:00.000Z"});
    }
    return r;
}

std::vector<AppendStatus> append(EventWriter& w, std::vector<AppendRequest> requests) {
    std::vector<const AppendRequest*> batch;
    for (const auto& r : requests) batch.push_back(&r);
    return w.append(batch);
}

}  // namespace

TEST(PostCommandEventStore, AppendsGetVersionsAndContiguousGlobalSequences) {
    SqliteStore store;
    EventWriter writer(store.location, {});
    EXPECT_EQ(append(writer, {request("a", 0, 2), request("b", 0)}),
              (std::vector{AppendStatus::committed, AppendStatus::committed}));
    EventReader reader(store.location, {});
    const auto rows = reader.read_after(0, 10);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].global_sequence, 1);
    EXPECT_EQ(rows[1].global_sequence, 2);
    EXPECT_EQ(rows[1].version, 2);
    EXPECT_EQ(rows[2].aggregate_id, "b");
    EXPECT_EQ(reader.last_sequence(), 3);
    EXPECT_EQ(reader.read_after(2, 10).size(), 1u);
    EXPECT_EQ(reader.read_after(0, 2).size(), 2u) << "limit";
}

TEST(PostCommandEventStore, AStaleExpectedVersionIsAConflictAndOnlyThatRequestFails) {
    SqliteStore store;
    EventWriter writer(store.location, {});
    ASSERT_EQ(append(writer, {request("a", 0)})[0], AppendStatus::committed);
    // Two writers both saw version 1; the unique key lets one win.
    EXPECT_EQ(append(writer, {request("a", 1), request("b", 0), request("a", 1)}),
              (std::vector{AppendStatus::committed, AppendStatus::committed, AppendStatus::conflict}));
    EventReader reader(store.location, {});
    EXPECT_EQ(reader.load("a").events.size(), 2u);
    EXPECT_EQ(reader.last_sequence(), 3) << "the losing append left no row";
    const auto rows = reader.read_after(0, 10);
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].global_sequence, static_cast<std::int64_t>(i + 1));
}

TEST(PostCommandEventStore, ACommandsEventsAreAllOrNothing) {
    SqliteStore store;
    EventWriter writer(store.location, {});
    ASSERT_EQ(append(writer, {request("a", 0, 1)})[0], AppendStatus::committed);
    // Versions 1..3 from a stale view: version 1 exists, so 2 and 3 must not land either.
    EXPECT_EQ(append(writer, {request("a", 0, 3)})[0], AppendStatus::conflict);
    EventReader reader(store.location, {});
    EXPECT_EQ(reader.load("a").events.size(), 1u);
}

TEST(PostCommandEventStore, LoadStartsAtTheLatestSnapshot) {
    SqliteStore store;
    EventWriter writer(store.location, {});
    auto first = request("a", 0, 3);
    first.snapshot = SnapshotRecord{3, R"({"state":"at 3"})"};
    ASSERT_EQ(append(writer, {first})[0], AppendStatus::committed);
    ASSERT_EQ(append(writer, {request("a", 3, 2)})[0], AppendStatus::committed);
    EventReader reader(store.location, {});
    const AggregateHistory h = reader.load("a");
    ASSERT_TRUE(h.snapshot.has_value());
    EXPECT_EQ(h.snapshot->version, 3);
    ASSERT_EQ(h.events.size(), 2u);
    EXPECT_EQ(h.events[0].version, 4);
    EXPECT_TRUE(reader.load("unknown").events.empty());
    EXPECT_FALSE(reader.load("unknown").snapshot.has_value());
}

TEST(PostCommandEventStore, PublishedPositionIsDurablePerDestination) {
    SqliteStore store;
    {
        EventReader reader(store.location, {});
        EXPECT_EQ(reader.published_position("post-events"), 0);
        reader.save_position("post-events", 41);
        reader.save_position("post-events", 42);
        reader.save_position("other", 7);
    }
    EventReader again(store.location, {});
    EXPECT_EQ(again.published_position("post-events"), 42);
    EXPECT_EQ(again.published_position("other"), 7);
    EXPECT_TRUE(again.try_lead_relay());
}

TEST(PostCommandAppender, ConcurrentCommandsAreGroupCommittedAndAllLand) {
    SqliteStore store;
    EventWriter writer(store.location, {});
    int commits = 0;
    Appender appender(writer, 64, [&] { ++commits; });
    constexpr int k_threads = 8, k_per_thread = 50;
    std::vector<std::thread> threads;
    std::atomic<int> committed{0};
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < k_per_thread; ++i) {
                const AppendRequest r = request("post-" + std::to_string(t), i);
                committed += appender.append(r) == AppendStatus::committed;
            }
        });
    }
    for (auto& t : threads) t.join();
    appender.stop();
    EXPECT_EQ(committed.load(), k_threads * k_per_thread);
    EXPECT_LE(commits, k_threads * k_per_thread);
    EventReader reader(store.location, {});
    EXPECT_EQ(reader.last_sequence(), k_threads * k_per_thread);
    EXPECT_EQ(appender.append(request("late", 0)), AppendStatus::failed) << "after stop";
}
