#include "checkpoint_coordinator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "log.hpp"

namespace fanout::daemon {

std::vector<std::int64_t> starting_offsets(std::span<const TopicPartition> assigned,
                                           std::span<const PartitionOffset> checkpoints, StartFrom start_from,
                                           std::string_view redrive_topic) {
    std::vector<std::int64_t> out(assigned.size(),
                                  start_from == StartFrom::latest ? k_offset_end : k_offset_beginning);
    for (std::size_t i = 0; i < assigned.size(); ++i) {
        if (!redrive_topic.empty() && assigned[i].topic == redrive_topic) out[i] = k_offset_beginning;
    }
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

namespace fanout::daemon {
namespace {

std::vector<TopicPartition> topic_partitions(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> out;
    out.reserve(static_cast<std::size_t>(list->cnt));
    for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
    return out;
}

PartitionList partition_list(std::span<const TopicPartition> partitions) {
    PartitionList list = make_partition_list(static_cast<int>(partitions.size()));
    for (const TopicPartition& tp : partitions) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    return list;
}

}  // namespace

CheckpointCoordinator::CheckpointCoordinator(const PluginSettings& settings, KafkaSource& source, StatusBoard& status,
                                             Halt halt)
    : settings_(settings), source_(source), status_(status), halt_(std::move(halt)) {}

std::optional<std::vector<std::int64_t>> CheckpointCoordinator::load(std::span<const TopicPartition> asked,
                                                                     int attempt) {
    try {
        return starting_offsets(asked, plugin_->on_assigned(asked), settings_.start_from, settings_.redrive_topic);
    } catch (const std::exception& e) {
        log().warn("[{}] loading checkpoints failed attempt={} next_in={}ms: {}", settings_.name, attempt,
                   settings_.retry.backoff_after(attempt).count(), e.what());
        load_error_ = std::string("loading the checkpoints failed: ") + e.what();
        return std::nullopt;
    }
}

std::optional<bool> CheckpointCoordinator::in_range(std::span<const TopicPartition> asked,
                                                    std::span<const std::int64_t> starts, int attempt) {
    std::vector<Hold> out_of_range;
    for (std::size_t i = 0; i < asked.size(); ++i) {
        if (starts[i] < 0) continue;  // a logical start: nothing to lose
        std::int64_t low = -1, high = -1;
        // Asked of the leader now: a watermark cached from before a topic
        // was recreated would let a stale checkpoint pass.
        const rd_kafka_resp_err_t err = source_.query_watermarks(asked[i].topic.c_str(), asked[i].partition, low, high);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log().warn("[{}] reading the watermarks of {}[{}] failed attempt={} next_in={}ms: {}", settings_.name,
                       asked[i].topic, asked[i].partition, attempt, settings_.retry.backoff_after(attempt).count(),
                       rd_kafka_err2str(err));
            load_error_ = fmt::format("reading the watermarks of {}[{}] failed: {}", asked[i].topic,
                                      asked[i].partition, rd_kafka_err2str(err));
            return std::nullopt;
        }
        if (auto problem = check_checkpoint(asked[i].topic, asked[i].partition, starts[i], low, high)) {
            out_of_range.push_back({asked[i].topic, asked[i].partition, starts[i], HoldReason::checkpoint_out_of_range,
                                    std::move(problem->detail), low, high});
        }
    }
    if (out_of_range.empty()) return true;
    for (const Hold& h : out_of_range) {
        log().error("[{}] {}; stopping this plugin instead of skipping (rebuild its projection: docs/operations.md)",
                    settings_.name, h.detail);
    }
    const std::string error = out_of_range.front().detail +
                              (out_of_range.size() > 1 ? fmt::format(" (and {} more partitions)", out_of_range.size() - 1)
                                                       : std::string());
    for (Hold& h : out_of_range) status_.hold(std::move(h));
    halt_(error);
    return false;
}

CheckpointCoordinator::Start CheckpointCoordinator::on_assigned(rd_kafka_topic_partition_list_t* partitions) {
    const std::vector<TopicPartition> asked = topic_partitions(partitions);
    std::optional<std::vector<std::int64_t>> starts = load(asked, 1);
    std::optional<bool> usable;
    if (starts) usable = in_range(asked, *starts, 1);
    if (!usable) {
        // Nothing is fetched from a guessed position: assigned paused at a
        // placeholder start (no committed-offset lookup, no reset error),
        // moved to the checkpoints once they load.
        for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = k_offset_beginning;
        defer(asked);
        hold_pending(load_error_);
        log().warn("[{}] checkpoints of {} not loaded yet: assigned paused, loading again between batches",
                   settings_.name, partition_names(partitions));
        return Start::paused;
    }
    for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = (*starts)[static_cast<std::size_t>(i)];
    return *usable ? Start::consume : Start::paused;
}

void CheckpointCoordinator::report_positions(const rd_kafka_topic_partition_list_t* partitions) {
    std::vector<OutcomeLedger::NextOffset> positions;
    for (int i = 0; i < partitions->cnt; ++i) {
        if (partitions->elems[i].offset >= 0) {
            positions.push_back({partitions->elems[i].topic, partitions->elems[i].partition, partitions->elems[i].offset});
        }
    }
    source_.store_offsets(positions);
}

void CheckpointCoordinator::defer(std::span<const TopicPartition> partitions) {
    if (pending_.empty()) {  // the first try (attempt 1) just failed
        next_attempt_ = std::chrono::steady_clock::now() + settings_.retry.backoff_after(1);
        attempt_ = 2;
    }
    for (const TopicPartition& tp : partitions) {
        if (!names(pending_, tp.topic, tp.partition)) pending_.push_back(tp);
    }
    // A retry pause must not resume a partition before its checkpoint loads.
    source_.forget_paused(
        [&](std::string_view topic, std::int32_t partition) { return names(partitions, topic, partition); });
}

void CheckpointCoordinator::hold_pending(const std::string& error) {
    for (const TopicPartition& tp : pending_) {
        Hold h{tp.topic, tp.partition, -1, HoldReason::checkpoints_pending, "checkpoints not loaded: " + error};
        h.transient = true;  // the plugin's store is down: an outage, never a reason to skip
        status_.hold(std::move(h));
    }
}

void CheckpointCoordinator::release_pending(std::span<const TopicPartition> loaded) {
    status_.release_holds(HoldReason::checkpoints_pending,
                          [&](std::string_view topic, std::int32_t partition) { return names(loaded, topic, partition); });
}

void CheckpointCoordinator::on_revoked(const rd_kafka_topic_partition_list_t* partitions) {
    const std::vector<TopicPartition> revoked = topic_partitions(partitions);
    std::erase_if(pending_, [&](const TopicPartition& p) { return names(revoked, p.topic, p.partition); });
    try {
        plugin_->on_revoked(revoked);
    } catch (const std::exception& ex) {
        log().warn("[{}] on_revoked threw: {}", settings_.name, ex.what());
    }
}

void CheckpointCoordinator::reposition() {
    PartitionList assigned = source_.assignment();
    if (assigned->cnt == 0) return;
    rd_kafka_pause_partitions(source_.handle(), assigned.get());
    const std::vector<TopicPartition> partitions = topic_partitions(assigned.get());
    defer(partitions);
    next_attempt_ = {};  // load now
    attempt_ = 1;
    load_pending();
}

void CheckpointCoordinator::load_pending() {
    if (pending_.empty() || std::chrono::steady_clock::now() < next_attempt_) return;
    std::optional<std::vector<std::int64_t>> starts = load(pending_, attempt_);
    std::optional<bool> usable;
    if (starts) usable = in_range(pending_, *starts, attempt_);
    if (!usable) {
        next_attempt_ = std::chrono::steady_clock::now() + settings_.retry.backoff_after(attempt_);
        ++attempt_;
        hold_pending(load_error_);
        return;
    }
    PartitionList list = partition_list(pending_);
    release_pending(pending_);
    pending_.clear();
    if (!*usable) return;  // held and halted: they stay paused
    for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = (*starts)[static_cast<std::size_t>(i)];
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(source_.handle(), list.get(), 10'000)) {
        log().error("[{}] seek to the checkpoints failed: {}", settings_.name, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    report_positions(list.get());
    rd_kafka_resume_partitions(source_.handle(), list.get());
    log().info("[{}] checkpoints loaded: consuming {}", settings_.name, partition_names(list.get()));
}

}  // namespace fanout::daemon
