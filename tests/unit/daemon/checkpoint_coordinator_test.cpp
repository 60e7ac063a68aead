// A plugin's own checkpoints at assignment, without Kafka: where each
// partition starts, and checkpoints the log no longer holds.
#include <gtest/gtest.h>

#include <vector>

#include "checkpoint_coordinator.hpp"

using namespace fanout;
using namespace fanout::daemon;

namespace {

const std::vector<TopicPartition> k_assigned = {{"posts", 0}, {"posts", 1}, {"audit", 0}};

TEST(CheckpointCoordinator, APartitionStartsAtItsCheckpointOrWhereANewPluginStarts) {
    const std::vector<PartitionOffset> checkpoints = {
        {"posts", 1, 42}, {"audit", 0, k_no_checkpoint}, {"posts", 0, 0}, {"elsewhere", 0, 9}};
    EXPECT_EQ(starting_offsets(k_assigned, checkpoints, StartFrom::earliest),
              (std::vector<std::int64_t>{0, 42, k_offset_beginning}));
    EXPECT_EQ(starting_offsets(k_assigned, checkpoints, StartFrom::latest),
              (std::vector<std::int64_t>{0, 42, k_offset_end}));
    // Nothing applied anywhere: never the group's committed offset.
    EXPECT_EQ(starting_offsets(k_assigned, {}, StartFrom::earliest),
              (std::vector<std::int64_t>(3, k_offset_beginning)));
}

TEST(CheckpointCoordinator, ARedriveTopicStartsAtItsBeginningEvenForAPluginThatStartsAtTheEnd) {
    const std::vector<TopicPartition> assigned = {{"posts", 0}, {"dlq.redrive.p", 0}, {"dlq.redrive.p", 1}};
    const std::vector<PartitionOffset> checkpoints = {{"dlq.redrive.p", 1, 7}};
    EXPECT_EQ(starting_offsets(assigned, checkpoints, StartFrom::latest, "dlq.redrive.p"),
              (std::vector<std::int64_t>{k_offset_end, k_offset_beginning, 7}));
    EXPECT_EQ(starting_offsets(assigned, checkpoints, StartFrom::latest),
              (std::vector<std::int64_t>{k_offset_end, k_offset_end, 7}));
}

TEST(CheckpointCoordinator, ACheckpointInsideTheLogIsUsedAndOneOutsideSaysWhy) {
    EXPECT_FALSE(check_checkpoint("posts", 0, 10, 0, 20));
    EXPECT_FALSE(check_checkpoint("posts", 0, 20, 0, 20)) << "== high: caught up";
    EXPECT_FALSE(check_checkpoint("posts", 0, 5, 5, 20)) << "== low: the first event still there";
    EXPECT_FALSE(check_checkpoint("posts", 0, k_offset_beginning, 100, 200)) << "a logical start loses nothing";

    const auto beyond = check_checkpoint("posts", 3, 500, 0, 120);
    ASSERT_TRUE(beyond);
    EXPECT_EQ(beyond->detail,
              "checkpoint out of range: topic=posts partition=3 checkpoint=500 watermarks low=0 high=120; the "
              "checkpoint is beyond the end of the log: the topic was deleted and recreated, or truncated");
    const auto deleted = check_checkpoint("posts", 3, 40, 100, 120);
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->detail,
              "checkpoint out of range: topic=posts partition=3 checkpoint=40 watermarks low=100 high=120; the "
              "checkpoint is before the start of the log: offsets 40..99 were deleted (retention) before this plugin "
              "applied them");
}

}  // namespace
