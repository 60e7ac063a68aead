// Rebuilding a post: replaying every event, or a snapshot plus the events
// after it, gives the same state; events survive their JSON round trip.
// GCC 12 at -O2 reports a false -Wmaybe-uninitialized inside std::variant's
// move constructor when vector<variant> grows (a known GCC 12 false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <random>

#include <gtest/gtest.h>

#include "post_aggregate.hpp"
#include "snapshot_store.hpp"

using namespace fanout::post_command;

namespace {

/// A plausible history: creation, then likes, comments, edits and removals.
std::vector<DomainEvent> history(std::size_t length, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<DomainEvent> out;
    out.emplace_back(PostCreated{"Alice", "first \"post\"\n\xc3\xa9", "2026-11-22T10:00:00.000Z"});
    std::vector<std::string> comments;
    while (out.size() < length) {
        const int pick = static_cast<int>(rng() % 10);
        if (pick < 4) {
            out.push_back(PostLiked{});
        } else if (pick < 6 || comments.empty()) {
            comments.push_back("c0000000-0000-4000-8000-" + std::to_string(100000000000 + out.size()));
            out.push_back(CommentAdded{comments.back(), "comment " + std::to_string(out.size()),
                                       "user" + std::to_string(rng() % 5), "2026-11-22T10:00:01.000Z"});
        } else if (pick < 7) {
            out.push_back(MessageUpdated{"edit " + std::to_string(out.size())});
        } else if (pick < 9) {
            out.push_back(
                CommentUpdated{comments[rng() % comments.size()], "edited", "user1", "2026-11-22T10:00:02.000Z"});
        } else {
            const auto it = comments.begin() + static_cast<std::ptrdiff_t>(rng() % comments.size());
            out.push_back(CommentRemoved{*it});
            comments.erase(it);
        }
    }
    return out;
}

PostAggregate replay(const std::vector<DomainEvent>& events, std::size_t from, PostAggregate post) {
    for (std::size_t i = from; i < events.size(); ++i) post.apply(events[i]);
    return post;
}

}  // namespace

TEST(PostAggregateReplay, SnapshotPlusTailEqualsFullReplayAtEveryCutPoint) {
    const auto events = history(60, 7);
    const PostAggregate full = replay(events, 0, PostAggregate("p"));
    for (std::size_t cut = 1; cut <= events.size(); ++cut) {
        PostAggregate head("p");
        for (std::size_t i = 0; i < cut; ++i) head.apply(events[i]);
        const PostAggregate restored = PostAggregate::from_snapshot("p", head.version(), head.snapshot_json());
        ASSERT_EQ(restored, head) << "cut " << cut;
        EXPECT_EQ(replay(events, cut, restored), full) << "cut " << cut;
    }
}

TEST(PostAggregateReplay, RemovedPostSurvivesASnapshot) {
    PostAggregate post("p");
    post.apply(PostCreated{"a", "m", "d"});
    post.apply(PostRemoved{});
    const auto restored = PostAggregate::from_snapshot("p", post.version(), post.snapshot_json());
    EXPECT_FALSE(restored.active());
    EXPECT_TRUE(restored.like().error.has_value());
}

TEST(PostAggregateReplay, EventsRoundTripThroughTheirStoredJson) {
    for (const DomainEvent& e : history(40, 11)) {
        const DomainEvent back = decode_event(type_name(e), encode_data(e));
        EXPECT_EQ(back.index(), e.index());
        PostAggregate a("p"), b("p");
        a.apply(PostCreated{"x", "y", "z"});
        b.apply(PostCreated{"x", "y", "z"});
        a.apply(e);
        b.apply(back);
        EXPECT_EQ(a, b) << type_name(e);
    }
}

TEST(PostAggregateReplay, CorruptStoredDataIsAnErrorNotACrash) {
    EXPECT_THROW(decode_event("PostCreatedEvent", "{\"author\":1}"), std::runtime_error);
    EXPECT_THROW(decode_event("NoSuchEvent", "{}"), std::runtime_error);
    EXPECT_THROW(PostAggregate::from_snapshot("p", 3, "[]"), std::runtime_error);
}

TEST(PostAggregateSnapshot, DueWhenAnAppendCrossesAMultipleOfTheInterval) {
    EXPECT_FALSE(snapshot_due(1, 2, 100));
    EXPECT_TRUE(snapshot_due(99, 100, 100));
    EXPECT_TRUE(snapshot_due(98, 101, 100));
    EXPECT_FALSE(snapshot_due(100, 101, 100));
    EXPECT_FALSE(snapshot_due(99, 100, 0)) << "0 disables snapshots";
}
