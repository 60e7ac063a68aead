// A post's history read back on both backends: events page by page, and the
// state as of a version or a time, rebuilt from the snapshot at or before it
// plus the events after it.
// GCC 12 at -O2 reports a false -Wmaybe-uninitialized inside std::variant's
// move constructor when vector<variant> grows (a known GCC 12 false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "history_store.hpp"

using namespace fanout::post_command;
using namespace fanout::test;

namespace {

const std::string k_post = "11111111-2222-4333-8444-555555555555";

/// Created by Alice, then `likes` likes.
std::vector<std::vector<DomainEvent>> liked_post(std::size_t likes) {
    std::vector<std::vector<DomainEvent>> commands{{PostCreated{"Alice", "hello", event_time(1)}}};
    for (std::size_t i = 0; i < likes; ++i) commands.push_back({PostLiked{}});
    return commands;
}

std::vector<DomainEvent> flatten(const std::vector<std::vector<DomainEvent>>& commands) {
    std::vector<DomainEvent> out;
    for (const auto& c : commands) out.insert(out.end(), c.begin(), c.end());
    return out;
}

AsOf at_version(std::int64_t v) { return AsOf{AsOf::Kind::version, v, {}}; }
AsOf at_time(std::string t) { return AsOf{AsOf::Kind::time, 0, std::move(t)}; }

class PostHistory : public ::testing::TestWithParam<StoreKind> {
protected:
    PostHistory() : history(GetParam()), reader(history.location, {}) {}

    HistoryStore history;
    EventReader reader;
};

}  // namespace

TEST_P(PostHistory, EventsComeOldestFirstAPageAtATime) {
    history.write(k_post, liked_post(24), 10);
    std::vector<std::int64_t> versions;
    std::int64_t from = 1;
    int pages = 0;
    while (true) {
        const EventPage page = read_event_page(reader, k_post, from, 10);
        ++pages;
        for (const StoredEvent& e : page.events) versions.push_back(e.version);
        if (!page.next_from_version) break;
        from = *page.next_from_version;
    }
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(versions.size(), 25u);
    for (std::size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i], static_cast<std::int64_t>(i + 1));

    const EventPage exact = read_event_page(reader, k_post, 16, 10);
    EXPECT_EQ(exact.events.size(), 10u);
    EXPECT_FALSE(exact.next_from_version) << "the page ends at the last event: no next page";
    const EventPage past = read_event_page(reader, k_post, 26, 10);
    EXPECT_TRUE(past.events.empty());
    EXPECT_EQ(past.latest_version, 25) << "past the end of an existing post: an empty page, not a missing post";
    EXPECT_EQ(read_event_page(reader, "99999999-2222-4333-8444-555555555555", 1, 10).latest_version, 0);
}

TEST_P(PostHistory, APageRendersDataAsAnObjectAndTheActorOrNull) {
    history.write(k_post, {{PostCreated{"Alice", "say \"hi\"", event_time(1)}}, {MessageUpdated{"bye"}}}, 0);
    history.store.sql() << "UPDATE events SET actor = 'alice' WHERE version = 1";
    const EventPage page = read_event_page(reader, k_post, 1, 1);
    rapidjson::Document doc;
    doc.Parse(event_page_json(k_post, page, 1).c_str());
    ASSERT_TRUE(doc.IsObject());
    EXPECT_STREQ(doc["postId"].GetString(), k_post.c_str());
    const auto& e = doc["events"][0];
    EXPECT_EQ(e["version"].GetInt64(), 1);
    EXPECT_STREQ(e["type"].GetString(), "PostCreatedEvent");
    EXPECT_STREQ(e["occurredAt"].GetString(), event_time(1).c_str());
    EXPECT_STREQ(e["actor"].GetString(), "alice");
    ASSERT_TRUE(e["data"].IsObject());
    EXPECT_STREQ(e["data"]["message"].GetString(), "say \"hi\"");
    EXPECT_EQ(doc["nextFromVersion"].GetInt64(), 2);
    EXPECT_EQ(std::string(doc["next"].GetString()), "/api/v1/posts/" + k_post + "/events?fromVersion=2&limit=1");

    doc.Parse(event_page_json(k_post, read_event_page(reader, k_post, 2, 5), 5).c_str());
    EXPECT_TRUE(doc["events"][0]["actor"].IsNull());
    EXPECT_TRUE(doc["nextFromVersion"].IsNull());
    EXPECT_TRUE(doc["next"].IsNull());
}

TEST_P(PostHistory, APostOfTenThousandEventsAnswersAsOfAnyVersionFromItsSnapshots) {
    auto commands = liked_post(9'998);
    commands.push_back({CommentAdded{"c0000000-0000-4000-8000-000000000001", "last", "Bob", event_time(10'000)}});
    history.write(k_post, commands, 100, 100);
    const std::vector<DomainEvent> events = flatten(commands);
    ASSERT_EQ(events.size(), 10'000u);
    EXPECT_EQ(history.store.scalar("SELECT COUNT(*) FROM snapshot_history WHERE aggregate_id = '" + k_post + "'"), 100)
        << "a snapshot per interval is kept";
    EXPECT_EQ(history.store.scalar("SELECT version FROM snapshots WHERE aggregate_id = '" + k_post + "'"), 10'000);

    for (const std::int64_t v : {1, 10, 99, 100, 101, 5'000, 9'999, 10'000}) {
        const PostAsOf found = read_post_as_of(reader, k_post, at_version(v));
        ASSERT_TRUE(found.post) << "version " << v;
        EXPECT_EQ(*found.post, replay_first(k_post, events, static_cast<std::size_t>(v))) << "version " << v;
        EXPECT_EQ(found.latest_version, 10'000);
        const AggregateHistory loaded = reader.load_as_of(k_post, v);
        EXPECT_LT(loaded.events.size(), 100u) << "version " << v << " replays from the snapshot before it";
        if (v >= 100) {
            ASSERT_TRUE(loaded.snapshot) << "version " << v;
            EXPECT_EQ(loaded.snapshot->version, v / 100 * 100);
        }
    }
    const PostAsOf now = read_post_as_of(reader, k_post, AsOf{});
    ASSERT_TRUE(now.post);
    EXPECT_EQ(now.post->likes(), 9'998);
    EXPECT_EQ(now.post->comments().size(), 1u);
    EXPECT_FALSE(read_post_as_of(reader, k_post, at_version(10'001)).post) << "a version not written yet";
    const PostAsOf by_time = read_post_as_of(reader, k_post, at_time(event_time(5'000)));
    ASSERT_TRUE(by_time.post);
    EXPECT_EQ(by_time.post->version(), 5'000);
}

TEST_P(PostHistory, ARemovedPostIsVisibleAsItWasBeforeItsRemoval) {
    const std::string comment = "c0000000-0000-4000-8000-000000000002";
    history.write(k_post,
                  {{PostCreated{"Alice", "hello", event_time(1)}},
                   {CommentAdded{comment, "nice", "Bob", event_time(2)}},
                   {PostLiked{}},
                   {PostRemoved{}}},
                  2);
    const PostAsOf before = read_post_as_of(reader, k_post, at_version(3));
    ASSERT_TRUE(before.post);
    EXPECT_TRUE(before.post->active());
    EXPECT_EQ(before.post->likes(), 1);
    EXPECT_EQ(before.post->comments().at(comment).username, "Bob");
    rapidjson::Document doc;
    doc.Parse(post_state_json(*before.post).c_str());
    EXPECT_FALSE(doc["deleted"].GetBool());
    EXPECT_STREQ(doc["message"].GetString(), "hello");
    EXPECT_STREQ(doc["comments"][0]["comment"].GetString(), "nice");

    for (const AsOf& point : {at_version(4), AsOf{}, at_time(event_time(4))}) {
        const PostAsOf removed = read_post_as_of(reader, k_post, point);
        ASSERT_TRUE(removed.post);
        EXPECT_FALSE(removed.post->active());
        doc.Parse(post_state_json(*removed.post).c_str());
        EXPECT_TRUE(doc["deleted"].GetBool());
        EXPECT_EQ(doc["version"].GetInt64(), 4);
    }
}

TEST_P(PostHistory, AsOfATimeTakesTheEventsThatHadOccurredByThen) {
    history.write(k_post, liked_post(2), 0);  // at 10:00:00, 10:00:01, 10:00:02
    const auto version_at = [&](const std::string& t) {
        const PostAsOf found = read_post_as_of(reader, k_post, at_time(t));
        return found.post ? found.post->version() : 0;
    };
    EXPECT_EQ(version_at("2026-12-05T09:59:59.999Z"), 0) << "before the post was created";
    EXPECT_EQ(version_at("2026-12-05T10:00:00.000Z"), 1) << "an event at exactly that time counts";
    EXPECT_EQ(version_at("2026-12-05T10:00:01.500Z"), 2) << "between two events";
    EXPECT_EQ(version_at("2026-12-05T10:00:02.000Z"), 3);
    EXPECT_EQ(version_at("2030-01-01T00:00:00.000Z"), 3) << "after the last event: the latest state";
    EXPECT_EQ(read_post_as_of(reader, k_post, at_time("2026-12-05T09:00:00.000Z")).latest_version, 3)
        << "the post exists now: a caller can tell 'not yet' from 'never'";
    EXPECT_EQ(read_post_as_of(reader, "99999999-2222-4333-8444-555555555555", AsOf{}).latest_version, 0);
}

TEST_P(PostHistory, AClockThatSteppedBackNeverTakesAPostsTimeBackwards) {
    // Commands stamped 10:00:00, 10:00:05, then (the clock stepped back)
    // 10:00:03 for a command of two events, then 10:00:07.
    const std::map<std::int64_t, std::string> stamped{{1, "2026-12-05T10:00:00.000Z"},
                                                      {2, "2026-12-05T10:00:05.000Z"},
                                                      {3, "2026-12-05T10:00:03.000Z"},
                                                      {4, "2026-12-05T10:00:03.000Z"},
                                                      {5, "2026-12-05T10:00:07.000Z"}};
    const std::vector<std::vector<DomainEvent>> commands{{PostCreated{"Alice", "hello", event_time(1)}},
                                                         {PostLiked{}},
                                                         {PostLiked{}, PostLiked{}},
                                                         {PostLiked{}}};
    history.write(k_post, commands, 0, 1, [&](std::int64_t n) { return stamped.at(n); });

    std::vector<std::string> stored;
    for (const StoredEvent& e : reader.read_stream(k_post, 1, 10)) stored.push_back(e.occurred_at);
    EXPECT_EQ(stored, (std::vector<std::string>{"2026-12-05T10:00:00.000Z", "2026-12-05T10:00:05.000Z",
                                                "2026-12-05T10:00:05.000Z", "2026-12-05T10:00:05.000Z",
                                                "2026-12-05T10:00:07.000Z"}))
        << "an event stamped before its predecessor takes its predecessor's time";

    EXPECT_EQ(reader.version_at(k_post, "2026-12-05T10:00:04.999Z"), 1);
    EXPECT_EQ(reader.version_at(k_post, "2026-12-05T10:00:05.000Z"), 4);
    EXPECT_EQ(reader.version_at(k_post, "2026-12-05T10:00:06.000Z"), 4);
    EXPECT_EQ(reader.version_at(k_post, "2026-12-05T10:00:07.000Z"), 5);
}

TEST_P(PostHistory, TheVersionAtATimeIsTheLastEventAtOrBeforeItWhereverItLands) {
    // 1,000 events, three to a millisecond-stamped second (ties), with gaps.
    constexpr std::int64_t k_events = 1000;
    const auto second_of = [](std::int64_t n) { return (n - 1) / 3 * 2; };  // 0, 0, 0, 2, 2, 2, 4, ...
    const auto at = [](std::int64_t second, int ms = 0) {
        using namespace std::chrono;
        return format_rfc3339_ms(sys_days{year{2026} / 12 / 5} + hours(10) + seconds(second) + milliseconds(ms));
    };
    history.write(k_post, liked_post(k_events - 1), 100, 50, [&](std::int64_t n) { return at(second_of(n)); });

    // What a reader of every event would say: the last one at or before the time.
    const auto expected = [&](const std::string& t) {
        std::int64_t v = 0;
        for (std::int64_t n = 1; n <= k_events; ++n) {
            if (at(second_of(n)) <= t) v = n;
        }
        return v;
    };
    std::vector<std::string> times{at(-1), at(0), at(0, 999), at(second_of(k_events)), at(second_of(k_events) + 1)};
    for (std::int64_t s = 0; s <= second_of(k_events); s += 7) {
        times.push_back(at(s));
        times.push_back(at(s, 500));
    }
    for (const std::string& t : times) EXPECT_EQ(reader.version_at(k_post, t), expected(t)) << t;
    EXPECT_EQ(reader.version_at("99999999-2222-4333-8444-555555555555", at(5)), 0) << "no such post";
}

INSTANTIATE_TEST_SUITE_P(Store, PostHistory, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), store_name);
