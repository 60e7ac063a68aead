#pragma once
// The decisions of a plugin's own checkpoints (fanout::Checkpointing) at
// assignment, as data: where each assigned partition starts, and whether a
// checkpoint still lies inside its partition's log. The pipeline asks the
// plugin and the broker (pipeline.cpp); these functions decide, without Kafka.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "fanout/plugin.hpp"

namespace fanout::daemon {

/// Offsets librdkafka reads as "the start" and "the end" of a partition.
inline constexpr std::int64_t k_offset_beginning = -2;
inline constexpr std::int64_t k_offset_end = -1;

/// Where each of `assigned` starts (same order): the plugin's checkpoint when
/// it has one; otherwise where a new plugin starts (`start_from`), never the
/// group's committed offset, which belongs to an earlier life of its store
/// (a rebuilt projection must not resume from there).
std::vector<std::int64_t> starting_offsets(std::span<const TopicPartition> assigned,
                                           std::span<const PartitionOffset> checkpoints, StartFrom start_from);

/// A checkpoint that cannot be used: the partition's log no longer holds it.
struct CheckpointOutOfRange {
    std::string detail;  ///< what is wrong and why, with coordinates, for the log and the status
};

/// nullopt when `next_offset` is a logical start (< 0) or lies in [low, high]
/// (== high: caught up); else why the checkpoint is out of range.
std::optional<CheckpointOutOfRange> check_checkpoint(std::string_view topic, std::int32_t partition,
                                                     std::int64_t next_offset, std::int64_t low, std::int64_t high);

}  // namespace fanout::daemon
