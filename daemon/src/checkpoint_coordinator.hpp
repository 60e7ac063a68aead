#pragma once
// A plugin's own checkpoints (fanout::Checkpointing) at assignment.
//
// The decisions, as data and without Kafka: where each assigned partition
// starts, and whether a checkpoint still lies inside its partition's log.
//
// CheckpointCoordinator carries them out. Inside the rebalance callback it
// tries once to load the checkpoints and read the watermarks; it never
// sleeps there. When either fails (the plugin's database is down), the
// partitions are assigned paused and the pipeline thread tries again
// between batches, with the retry backoff, until it succeeds: then each
// partition seeks to its checkpoint and resumes. Meanwhile each waits with a
// transient `checkpoints_pending` hold: an outage, degraded after the
// plugin's retry.degraded_after_ms like a retried batch. A checkpoint outside
// its partition's log stops the plugin instead of skipping.
#include <chrono>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "fanout/plugin.hpp"
#include "kafka_source.hpp"
#include "pipeline_status.hpp"

namespace fanout::daemon {

/// Offsets librdkafka reads as "the start" and "the end" of a partition.
inline constexpr std::int64_t k_offset_beginning = -2;
inline constexpr std::int64_t k_offset_end = -1;

/// Where each of `assigned` starts (same order): the plugin's checkpoint when
/// it has one; otherwise where a new plugin starts (`start_from`), never the
/// group's committed offset, which belongs to an earlier life of its store
/// (a rebuilt projection must not resume from there). The partitions of
/// `redrive_topic` start at their beginning whatever `start_from` says: what
/// is redriven there was written for this plugin.
std::vector<std::int64_t> starting_offsets(std::span<const TopicPartition> assigned,
                                           std::span<const PartitionOffset> checkpoints, StartFrom start_from,
                                           std::string_view redrive_topic = {});

/// Whether `partitions` names `topic`[`partition`].
inline bool names(std::span<const TopicPartition> partitions, std::string_view topic, std::int32_t partition) noexcept {
    return std::any_of(partitions.begin(), partitions.end(),
                       [&](const TopicPartition& tp) { return tp.partition == partition && tp.topic == topic; });
}

/// A checkpoint that cannot be used: the partition's log no longer holds it.
struct CheckpointOutOfRange {
    std::string detail;  ///< what is wrong and why, with coordinates, for the log and the status
};

/// nullopt when `next_offset` is a logical start (< 0) or lies in [low, high]
/// (== high: caught up); else why the checkpoint is out of range.
std::optional<CheckpointOutOfRange> check_checkpoint(std::string_view topic, std::int32_t partition,
                                                     std::int64_t next_offset, std::int64_t low, std::int64_t high);

class CheckpointCoordinator {
public:
    using Halt = std::function<void(const std::string& error)>;

    CheckpointCoordinator(const PluginSettings& settings, KafkaSource& source, StatusBoard& status, Halt halt);

    /// The plugin instance that owns the positions (after a reload: the new one).
    void set_plugin(Checkpointing* plugin) noexcept { plugin_ = plugin; }

    enum class Start {
        consume,  ///< every partition's start is set: assign and consume
        paused,   ///< assign, then pause: checkpoints pending, or out of range (the plugin stops)
    };
    /// In the rebalance callback, before the partitions are assigned: set
    /// each one's start from the plugin's checkpoints (one try, no sleeping).
    Start on_assigned(rd_kafka_topic_partition_list_t* partitions);
    /// After the paused assignment: report where the plugin resumes (lag).
    void report_positions(const rd_kafka_topic_partition_list_t* partitions);
    /// In the rebalance callback: revoked partitions are no longer pending;
    /// the plugin hears of the revocation.
    void on_revoked(const rd_kafka_topic_partition_list_t* partitions);
    /// A new plugin instance owns the assigned partitions: pause them and
    /// load its checkpoints (now, and again later while that fails).
    void reposition();
    /// On the pipeline thread between batches: load pending checkpoints when due.
    void load_pending();
    bool pending() const noexcept { return !pending_.empty(); }
    bool pending(std::string_view topic, std::int32_t partition) const noexcept {
        return names(pending_, topic, partition);
    }

private:
    /// The plugin's starts for `asked`, or nullopt (logged) when its checkpoint store failed.
    std::optional<std::vector<std::int64_t>> load(std::span<const TopicPartition> asked, int attempt);
    /// Starts outside the log hold their partitions and halt the plugin: false then.
    /// nullopt when the watermarks could not be read (try again later).
    std::optional<bool> in_range(std::span<const TopicPartition> asked, std::span<const std::int64_t> starts,
                                 int attempt);
    void defer(std::span<const TopicPartition> partitions);
    /// Every pending partition waits for its checkpoints because of `error`.
    void hold_pending(const std::string& error);
    /// The partitions of `loaded` no longer wait for their checkpoints.
    void release_pending(std::span<const TopicPartition> loaded);

    const PluginSettings& settings_;
    KafkaSource& source_;
    StatusBoard& status_;
    Halt halt_;
    Checkpointing* plugin_ = nullptr;
    std::vector<TopicPartition> pending_;  ///< assigned and paused, waiting for their checkpoints
    int attempt_ = 0;                      ///< failed loads of pending_ so far
    std::string load_error_;               ///< why the last load or watermark read failed
    std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace fanout::daemon
