// Who acted: NewEvent::actor is stored (NULL when empty) and read back on
// both backends, by global sequence and by aggregate.
#include <gtest/gtest.h>

#include "event_store.hpp"
#include "fixture.hpp"
#include "store_connection.hpp"

using namespace fanout::post_command;
using namespace fanout::test;

namespace {

class EventActor : public ::testing::TestWithParam<StoreKind> {
protected:
    EventActor() : store(GetParam()), location(parse_store_location(store.connection())) {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }

    TestStore store;
    StoreLocation location;
};

}  // namespace

TEST_P(EventActor, TheActorIsStoredAndAnEmptyOneIsNull) {
    AppendRequest r;
    r.aggregate_id = "post-a";
    r.events.push_back(NewEvent{"e1", "PostLikedEvent", "{}", "2026-12-05T10:00:00.000Z", "alice"});
    r.events.push_back(NewEvent{"e2", "PostLikedEvent", "{}", "2026-12-05T10:00:01.000Z"});
    r.events.push_back(NewEvent{"e3", "PostLikedEvent", "{}", "2026-12-05T10:00:02.000Z", "bob \"b\", {x}"});
    EventWriter writer(location, {});
    const AppendRequest* batch[] = {&r};
    ASSERT_EQ(writer.append(batch), std::vector{AppendStatus::committed});

    EXPECT_EQ(store.scalar("SELECT COUNT(*) FROM events WHERE actor IS NULL"), 1);
    EventReader reader(location, {});
    const auto rows = reader.read_after(0, 10);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].actor, "alice");
    EXPECT_EQ(rows[1].actor, "");
    EXPECT_EQ(rows[2].actor, "bob \"b\", {x}");
    const AggregateHistory history = reader.load("post-a");
    ASSERT_EQ(history.events.size(), 3u);
    EXPECT_EQ(history.events[0].actor, "alice");
    EXPECT_EQ(history.events[1].actor, "");
}

INSTANTIATE_TEST_SUITE_P(Store, EventActor, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), store_name);
