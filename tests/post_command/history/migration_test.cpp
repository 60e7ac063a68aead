// A store written by the previous release (event_store schema version 1:
// no events.actor, one snapshot per post in `snapshots`) opens with this
// build on both backends: the migration adds the actor column and carries
// every snapshot into snapshot_history, and commands and as-of reads work on
// the old events and snapshots alike.
// GCC 12 at -O2 reports a false -Wmaybe-uninitialized inside std::variant's
// move constructor when vector<variant> grows (a known GCC 12 false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gtest/gtest.h>

#include "fanout/sql/migrations.hpp"
#include "history_store.hpp"

using namespace fanout::post_command;
using namespace fanout::test;

namespace {

/// The event store schema of the previous release: this build's first
/// migration alone (migrations are appended, never edited; sql::migrate
/// checks the applied ones' checksums).
fanout::sql::Schema previous_release_schema() {
    fanout::sql::Schema schema = event_store_schema();
    schema.migrations.resize(1);
    return schema;
}

const std::string k_post = "11111111-2222-4333-8444-555555555555";
const std::string k_other = "22222222-2222-4333-8444-555555555555";

class OldStore : public ::testing::TestWithParam<StoreKind> {
protected:
    OldStore() : store(GetParam()), location(parse_store_location(store.connection())) {}

    /// Events 1..n of `post_id` as the previous release wrote them.
    void write_old_events(const std::string& post_id, const std::vector<DomainEvent>& events) {
        for (std::size_t i = 0; i < events.size(); ++i) {
            const long long version = static_cast<long long>(i + 1);
            const std::string id = post_id + "-" + std::to_string(version), type = type_name(events[i]),
                              data = encode_data(events[i]), at = event_time(version);
            store.sql() << "INSERT INTO events (event_id, aggregate_id, version, type, data, occurred_at)"
                           " VALUES (:e, :a, :v, :t, :d, :o)",
                soci::use(id), soci::use(post_id), soci::use(version), soci::use(type), soci::use(data),
                soci::use(at);
        }
    }

    TestStore store;
    StoreLocation location;
};

}  // namespace

TEST_P(OldStore, OpensMigratesAndServesItsEventsAndSnapshots) {
    const std::vector<DomainEvent> events{PostCreated{"Alice", "old", event_time(1)},
                                          CommentAdded{"c0000000-0000-4000-8000-000000000001", "hi", "Bob",
                                                       event_time(2)},
                                          PostLiked{}, PostLiked{}, MessageUpdated{"older"}};
    {
        soci::session s;
        open_store_session(s, location);
        ASSERT_EQ(fanout::sql::migrate(s, previous_release_schema()).to, 1);
    }
    write_old_events(k_post, events);
    write_old_events(k_other, {PostCreated{"Carol", "no snapshot", event_time(1)}, PostLiked{}});
    const PostAggregate at4 = replay_first(k_post, events, 4);
    const std::string state = at4.snapshot_json();
    store.sql() << "INSERT INTO snapshots (aggregate_id, version, state, taken_at) VALUES (:a, 4, :s, :t)",
        soci::use(k_post), soci::use(state), soci::use(event_time(4));

    {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
        migrate_store(s, location.backend);  // idempotent
    }
    EXPECT_EQ(store.scalar("SELECT version FROM schema_version WHERE component = 'event_store'"), 3);
    EXPECT_EQ(store.scalar("SELECT COUNT(*) FROM events WHERE actor IS NULL"), 7);
    EXPECT_EQ(store.scalar("SELECT version FROM snapshot_history WHERE aggregate_id = '" + k_post + "'"), 4)
        << "the old snapshot is carried over";

    EventReader reader(location, {});
    const AggregateHistory current = reader.load(k_post);
    ASSERT_TRUE(current.snapshot);
    EXPECT_EQ(current.snapshot->version, 4);
    ASSERT_EQ(current.events.size(), 1u);
    EXPECT_EQ(current.events[0].actor, "");
    for (std::int64_t v = 1; v <= 5; ++v) {
        const PostAsOf found = read_post_as_of(reader, k_post, AsOf{AsOf::Kind::version, v, {}});
        ASSERT_TRUE(found.post) << "version " << v;
        EXPECT_EQ(*found.post, replay_first(k_post, events, static_cast<std::size_t>(v))) << "version " << v;
    }
    ASSERT_EQ(reader.load_as_of(k_post, 5).events.size(), 1u) << "version 5 starts from the carried-over snapshot";

    // The migrated store takes new events, with an actor and a new snapshot.
    AppendRequest r;
    r.aggregate_id = k_other;
    r.expected_version = 2;
    r.events.push_back(NewEvent{"n-3", "PostLikedEvent", "{}", event_time(3), "carol"});
    PostAggregate other = replay_first(k_other, {PostCreated{"Carol", "no snapshot", event_time(1)}, PostLiked{}}, 2);
    other.apply(PostLiked{});
    r.snapshot = SnapshotRecord{3, other.snapshot_json()};
    EventWriter writer(location, {});
    const AppendRequest* batch[] = {&r};
    ASSERT_EQ(writer.append(batch), std::vector{AppendStatus::committed});
    const EventPage page = read_event_page(reader, k_other, 1, 10);
    ASSERT_EQ(page.events.size(), 3u);
    EXPECT_EQ(page.events[2].actor, "carol");
    const PostAsOf now = read_post_as_of(reader, k_other, AsOf{});
    ASSERT_TRUE(now.post);
    EXPECT_EQ(*now.post, other);
}

INSTANTIATE_TEST_SUITE_P(Store, OldStore, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), store_name);
