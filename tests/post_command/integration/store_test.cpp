// The event store's append on both backends through EventWriter directly
// (PostgreSQL appends a whole group in one statement; SQLite row by row):
// sequences in group order, only a stale request conflicts, a request whose
// version is taken half-way writes nothing, text with quotes, backslashes and
// braces stored exactly.
#include <gtest/gtest.h>

#include "event_store.hpp"
#include "fixture.hpp"
#include "store_connection.hpp"

using namespace fanout::post_command;
using namespace fanout::test;

namespace {

class PostCommandStore : public ::testing::TestWithParam<StoreKind> {
protected:
    PostCommandStore() : store(GetParam()), location(parse_store_location(store.connection())) {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }

    static AppendRequest request(const std::string& id, std::int64_t expected, std::size_t events = 1) {
        AppendRequest r;
        r.aggregate_id = id;
        r.expected_version = expected;
        for (std::size_t i = 0; i < events; ++i) {
            const std::string n = std::to_string(expected + 1 + static_cast<std::int64_t>(i));
            r.events.push_back(NewEvent{"e-" + id + "-" + n, "PostLikedEvent", "{}", "2026-12-02T10:00:00.000Z"});
        }
        return r;
    }
    std::vector<AppendStatus> append(EventWriter& w, const std::vector<AppendRequest>& requests) {
        std::vector<const AppendRequest*> batch;
        for (const auto& r : requests) batch.push_back(&r);
        return w.append(batch);
    }

    TestStore store;
    StoreLocation location;
};

}  // namespace

TEST_P(PostCommandStore, AGroupLandsInOrderAndOnlyTheStaleRequestConflicts) {
    EventWriter writer(location, {});
    using S = AppendStatus;
    ASSERT_EQ(append(writer, {request("a", 0, 2), request("b", 0)}), (std::vector{S::committed, S::committed}));
    EXPECT_EQ(append(writer, {request("a", 2), request("b", 0), request("c", 0, 3)}),
              (std::vector{S::committed, S::conflict, S::committed}));
    EventReader reader(location, {});
    const auto rows = reader.read_after(0, 100);
    std::vector<std::string> order;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].global_sequence, static_cast<std::int64_t>(i + 1)) << "no gap for the conflict";
        order.push_back(rows[i].aggregate_id + std::to_string(rows[i].version));
    }
    EXPECT_EQ(order, (std::vector<std::string>{"a1", "a2", "b1", "a3", "c1", "c2", "c3"}));
}

TEST_P(PostCommandStore, ARequestWhoseVersionIsTakenHalfWayWritesNothingAndTheOthersLand) {
    EventWriter writer(location, {});
    using S = AppendStatus;
    ASSERT_EQ(append(writer, {request("a", 0, 3)}), std::vector{S::committed});
    // Expects version 2 (takes 3 and 4): 3 exists, 4 would not.
    EXPECT_EQ(append(writer, {request("b", 0), request("a", 2, 2), request("c", 0)}),
              (std::vector{S::committed, S::conflict, S::committed}));
    EXPECT_EQ(store.scalar("SELECT COUNT(*) FROM events WHERE aggregate_id = 'a'"), 3);
    EXPECT_EQ(store.scalar("SELECT COUNT(*) FROM events"), 5);
    EXPECT_EQ(store.scalar("SELECT MAX(global_sequence) FROM events"), 5)
        << "the refused request drew no sequence number: the relay never waits on a gap";
}

TEST_P(PostCommandStore, TextIsStoredExactly) {
    EventWriter writer(location, {});
    AppendRequest r = request("quote\"d\\id,{x}", 0);
    r.events[0].data = R"({"message":"a \"quoted\" back\\slash, {braces}, comma; NULL ' é"})";
    r.events[0].type = "MessageUpdatedEvent";
    ASSERT_EQ(append(writer, {r}), std::vector{AppendStatus::committed});
    EventReader reader(location, {});
    const auto rows = reader.read_after(0, 10);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].aggregate_id, r.aggregate_id);
    EXPECT_EQ(rows[0].data, r.events[0].data);
    EXPECT_EQ(rows[0].type, "MessageUpdatedEvent");
    EXPECT_EQ(rows[0].event_id, r.events[0].event_id);
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandStore, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);
