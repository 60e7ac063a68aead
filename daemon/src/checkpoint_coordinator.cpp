#include "checkpoint_coordinator.hpp"

#include <fmt/format.h>

namespace fanout::daemon {

std::vector<std::int64_t> starting_offsets(std::span<const TopicPartition> assigned,
                                           std::span<const PartitionOffset> checkpoints, StartFrom start_from) {
    std::vector<std::int64_t> out(assigned.size(),
                                  start_from == StartFrom::latest ? k_offset_end : k_offset_beginning);
    for (const PartitionOffset& po : checkpoints) {
        if (po.next_offset < 0) continue;
        for (std::size_t i = 0; i < assigned.size(); ++i) {
            if (assigned[i].partition == po.partition && assigned[i].topic == po.topic) out[i] = po.next_offset;
        }
    }
    return out;
}

std::optional<CheckpointOutOfRange> check_checkpoint(std::string_view topic, std::int32_t partition,
                                                     std::int64_t next_offset, std::int64_t low, std::int64_t high) {
    if (next_offset < 0) return std::nullopt;  // a logical start: nothing to lose
    if (next_offset >= low && next_offset <= high) return std::nullopt;
    const std::string why =
        next_offset > high ? "beyond the end of the log: the topic was deleted and recreated, or truncated"
                           : fmt::format("before the start of the log: offsets {}..{} were deleted (retention) "
                                         "before this plugin applied them",
                                         next_offset, low - 1);
    return CheckpointOutOfRange{fmt::format(
        "checkpoint out of range: topic={} partition={} checkpoint={} watermarks low={} high={}; the checkpoint is {}",
        topic, partition, next_offset, low, high, why)};
}

}  // namespace fanout::daemon
