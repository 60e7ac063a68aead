// The SQL event store on a real SQLite file: optimistic concurrency by the
// unique key, ordered reads, snapshots, the relay's position, and the
// command pipeline's group commit.
#include <thread>

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>

#include "command_service.hpp"
#include "event_store.hpp"
#include "kafka_test.hpp"  // wait_until
#include "process.hpp"
#include "wal_checkpointer.hpp"

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

namespace {

/// A command service over a fresh store, with answers collected.
struct Pipeline {
    SqliteStore store;
    EventWriter writer{store.location, {}};
    ReaderPool readers{store.location, {}, 2};
    AggregateCache cache{1000};
    std::atomic<int> wakeups{0};
    CommandService commands{cache, readers, writer, CommandPolicy{100, 3, 256}, [this] { ++wakeups; }};

    std::mutex mutex;
    std::condition_variable answered;
    std::vector<CommandResult> results;

    explicit Pipeline(bool start = true) {
        if (start) commands.start();
    }

    void submit(std::string id, Decide decide, bool is_new = false, std::optional<std::int64_t> expected = {}) {
        commands.submit(Command{std::move(id), expected, std::move(decide), is_new, [this](CommandResult r) {
                                    std::lock_guard lock(mutex);
                                    results.push_back(std::move(r));
                                    answered.notify_all();
                                }});
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        return answered.wait_for(lock, std::chrono::seconds(30), [&] { return results.size() >= n; });
    }
    int count(int status) {
        std::lock_guard lock(mutex);
        return static_cast<int>(
            std::count_if(results.begin(), results.end(), [&](const CommandResult& r) { return r.status == status; }));
    }
};

const std::string k_post = "3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70";

Decide create_post() {
    return [](const PostAggregate& p, const std::string& now) { return p.create("alice", "hello", now); };
}
Decide like() {
    return [](const PostAggregate& p, const std::string&) { return p.like(); };
}

}  // namespace

TEST(PostCommandPipeline, ConcurrentCommandsAreGroupCommittedAndAllLand) {
    Pipeline p;
    p.submit(k_post, create_post(), true);
    ASSERT_TRUE(p.wait_for(1));
    constexpr int k_threads = 8, k_per_thread = 50;
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < k_per_thread; ++i) p.submit(k_post, like());
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(p.wait_for(1 + k_threads * k_per_thread));
    p.commands.stop();
    EXPECT_EQ(p.count(200), k_threads * k_per_thread);
    EXPECT_LT(p.commands.commits(), static_cast<std::uint64_t>(1 + k_threads * k_per_thread))
        << "likes queued together share a commit";
    EXPECT_EQ(p.wakeups.load(), static_cast<int>(p.commands.commits()));
    EventReader reader(p.store.location, {});
    const auto rows = reader.read_after(0, 10'000);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(1 + k_threads * k_per_thread));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].version, static_cast<std::int64_t>(i + 1)) << "contiguous versions of the one post";
    }
    EXPECT_EQ(rows[0].type, "PostCreatedEvent");
}

TEST(PostCommandPipeline, CommandsOfOneGroupAreDecidedInOrderAgainstTheGroupsEvents) {
    Pipeline p(false);  // everything queued before the command thread starts: one group
    const auto remove = [](const PostAggregate& post, const std::string&) { return post.remove("alice"); };
    p.submit(k_post, create_post(), true);
    p.submit(k_post, like());
    p.submit(k_post, remove);
    p.submit(k_post, like());
    p.submit(k_post, remove);
    p.commands.start();
    ASSERT_TRUE(p.wait_for(5));
    EXPECT_EQ(p.commands.commits(), 1u);
    std::lock_guard lock(p.mutex);
    EXPECT_EQ(p.results[0].status, 201);
    EXPECT_EQ(p.results[0].version, 1);
    EXPECT_EQ(p.results[1].status, 200);
    EXPECT_EQ(p.results[1].version, 2);
    EXPECT_EQ(p.results[2].status, 200) << "the delete";
    EXPECT_EQ(p.results[2].version, 3);
    EXPECT_EQ(p.results[3].status, 400);
    EXPECT_EQ(p.results[3].message, messages::like_inactive) << "decided after the uncommitted delete";
    EXPECT_EQ(p.results[4].message, messages::already_removed);
    EventReader reader(p.store.location, {});
    EXPECT_EQ(reader.last_sequence(), 3);
}

TEST(PostCommandPipeline, AnotherWritersAppendIsAConflictRetriedWithAFreshLoad) {
    Pipeline p;
    p.submit(k_post, create_post(), true);
    ASSERT_TRUE(p.wait_for(1));
    // Another process appends version 2 behind this one's cache.
    EventWriter other(p.store.location, {});
    ASSERT_EQ(append(other, {request(k_post, 1)}), std::vector{AppendStatus::committed});
    p.submit(k_post, like());
    ASSERT_TRUE(p.wait_for(2));
    EXPECT_EQ(p.results[1].status, 200) << p.results[1].message;
    EXPECT_EQ(p.results[1].version, 3) << "retried on top of the other writer's version 2";
    // With If-Match the stale cache is reloaded first, so no false 409 either.
    p.submit(k_post, like(), false, 3);
    ASSERT_TRUE(p.wait_for(3));
    EXPECT_EQ(p.results[2].status, 200) << p.results[2].message;
    p.submit(k_post, like(), false, 3);
    ASSERT_TRUE(p.wait_for(4));
    EXPECT_EQ(p.results[3].status, 409);
    EXPECT_EQ(p.results[3].version, 4) << "the current version, to retry with";
}

TEST(PostCommandPipeline, CommandsQueuedOrSubmittedAfterStopAreAnswered503) {
    Pipeline p(false);
    p.submit(k_post, create_post(), true);  // queued, never started
    p.commands.stop();
    p.submit(k_post, create_post(), true);
    ASSERT_TRUE(p.wait_for(2));
    EXPECT_EQ(p.results[0].status, 503);
    EXPECT_EQ(p.results[1].status, 503);
    EventReader reader(p.store.location, {});
    EXPECT_EQ(reader.last_sequence(), 0);
}

TEST(PostCommandWalCheckpointer, CommitsLeaveCheckpointsToTheBackgroundThreadAndTheWalStaysBounded) {
    SqliteStore store;
    SqliteTuning tuning;
    tuning.background_checkpoints = true;
    EventWriter writer(store.location, tuning);
    const std::filesystem::path wal = store.location.target + "-wal";
    int next = 0;
    const auto commit_many = [&](int n) {
        for (int i = 0; i < n; ++i) {
            ASSERT_EQ(append(writer, {request("post-" + std::to_string(next++), 0)}),
                      std::vector{AppendStatus::committed});
        }
    };
    commit_many(2000);
    constexpr std::uintmax_t k_page = 4096 + 24;  // a WAL frame
    // SQLite's default automatic checkpoint would have kept the WAL near 1,000 frames and reused it.
    EXPECT_GT(std::filesystem::file_size(wal), 1500 * k_page) << "commits checkpointed";

    WalCheckpointer checkpointer(store.location, tuning, std::chrono::milliseconds(5));
    checkpointer.start();
    ASSERT_TRUE(fanout::test::wait_until([&] { return checkpointer.checkpoints() > 0; }, std::chrono::seconds(30)));
    // A steady stream of about 4x the backstop's frames: the WAL starts over
    // instead of growing with the stream.
    commit_many(20'000);
    checkpointer.stop();
    EXPECT_GT(checkpointer.checkpoints(), 1u);
    EXPECT_LT(std::filesystem::file_size(wal), 2 * k_backstop_checkpoint_frames * k_page);
    EventReader reader(store.location, {});
    EXPECT_EQ(reader.last_sequence(), 22'000);
}
