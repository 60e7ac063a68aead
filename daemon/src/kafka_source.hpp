#pragma once
// A pipeline's Kafka consumer: its own group, subscribed to the plugin's
// topics. It polls (waiting for the first event of a batch or the rest of
// its linger), keeps the fetchers awake, pauses and rewinds a partition for
// a retry and resumes it when due, stores offsets (the one place: librdkafka
// commits them later) and reads the group membership for the status. The
// rebalance callback is forwarded to a RebalanceHandler on the polling thread.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.hpp"
#include "kafka.hpp"
#include "metrics.hpp"
#include "outcome_ledger.hpp"
#include "pipeline_status.hpp"

namespace fanout::daemon {

class RebalanceHandler {
public:
    virtual ~RebalanceHandler() = default;
    /// From inside a poll: `err` is RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS,
    /// __REVOKE_PARTITIONS or a rebalance error.
    virtual void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) = 0;
};

/// "topic[partition],..." or "none".
std::string partition_names(const rd_kafka_topic_partition_list_t* list);

class KafkaSource {
public:
    using Clock = std::chrono::steady_clock;

    KafkaSource(const DaemonSettings& daemon, const PluginSettings& settings, std::string group_id,
                AtomicCounter& fetch_wakeups);
    KafkaSource(const KafkaSource&) = delete;
    KafkaSource& operator=(const KafkaSource&) = delete;

    /// Create the consumer and subscribe. A plugin that owns its checkpoints
    /// (`checkpointing`) is never moved silently: an offset out of range
    /// becomes an error event instead of a reset.
    void open(bool checkpointing, RebalanceHandler& handler);
    /// Follow the plugin's redrive topic once it exists: checked at open, when
    /// `asked` (a redrive created it) and every 5 s while the broker could
    /// not say. Cheap when there is nothing to do.
    void follow_redrive_topic(bool asked);
    /// A plugin that starts at the end of its topics still reads a redrive
    /// topic from its beginning: its partitions in `assigned` without a
    /// committed offset are set to start there.
    void start_redrive_at_beginning(rd_kafka_topic_partition_list_t* assigned);
    /// Commit what is stored, leave the group and destroy the consumer.
    void close(std::chrono::milliseconds drain_timeout);
    /// Destroy the consumer without leaving the group (it never started).
    void discard() noexcept;
    rd_kafka_t* handle() const noexcept { return consumer_.get(); }

    /// What is queued already, without waiting.
    rd_kafka_message_t* poll_now() { return rd_kafka_consumer_poll(consumer_.get(), 0); }
    /// Wait for the next message: for a batch's first event (`first`) the
    /// idle timeout, shortened to keep the fetchers awake and to resume paused
    /// partitions in time; else what is left of the linger until `deadline`.
    rd_kafka_message_t* poll_waiting(bool first, Clock::time_point deadline);
    /// An event was taken from the consumer (it may need a fetcher nudge).
    void consumed() noexcept { consumed_since_nudge_ = true; }
    /// Wake fetchers that librdkafka left asleep after its queue was full.
    void nudge_fetchers();

    /// Pause a partition, seek it back to `offset` and resume it at `resume_at`.
    void rewind(const std::string& topic, std::int32_t partition, std::int64_t offset, Clock::time_point resume_at);
    void resume_due_partitions();
    /// Partitions paused for a retry (and not yet due).
    bool paused(std::string_view topic, std::int32_t partition) const;
    /// Events are waiting in the consumer's queue (fetched, not yet polled).
    bool waiting() const noexcept;
    /// An operator's pause: nothing of the assignment is fetched any more;
    /// on resume each partition continues after the last event polled.
    void pause_assigned();
    /// Resume the assigned partitions that `held` does not keep paused.
    void resume_assigned(const std::function<bool(std::string_view topic, std::int32_t partition)>& held);
    template <class Match>
    void forget_paused(const Match& revoked) {
        std::erase_if(paused_, [&](const Paused& p) { return revoked(p.topic, p.partition); });
    }

    /// The one place offsets are stored (librdkafka commits them later).
    void store_offsets(std::span<const OutcomeLedger::NextOffset> offsets);
    /// Commit what is stored now; `what` names it in a warning ("final commit").
    void commit(std::string_view what);
    /// The current assignment (empty list when none).
    PartitionList assignment() const;
    /// Membership and assignment with positions and cached watermarks (no round trip).
    std::pair<bool, std::vector<PartitionStatus>> membership() const;
    /// Ask the partition's leader for its watermarks now.
    rd_kafka_resp_err_t query_watermarks(const char* topic, std::int32_t partition, std::int64_t& low,
                                         std::int64_t& high) const;
    /// The consumer's fatal error, empty when there is none.
    std::string fatal_error() const;
    /// The group's rebalance protocol is cooperative.
    bool cooperative() const;
    /// The rebalance callback ran at least once (close needs to know).
    void mark_rebalanced() noexcept { rebalanced_ = true; }

private:
    struct Paused {
        std::string topic;
        std::int32_t partition;
        Clock::time_point resume_at;
    };
    std::chrono::milliseconds poll_timeout() const;
    void subscribe(bool with_redrive);
    /// Whether the redrive topic exists; nothing when the broker cannot say.
    std::optional<bool> redrive_topic_exists() const;
    static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions, void* opaque);

    const DaemonSettings& daemon_;
    const PluginSettings& settings_;
    std::string group_id_;
    AtomicCounter& fetch_wakeups_;
    RebalanceHandler* handler_ = nullptr;
    KafkaHandle consumer_;
    KafkaQueue queue_;  ///< the consumer's queue, to read its length
    std::vector<Paused> paused_;
    Clock::time_point next_nudge_{};
    bool consumed_since_nudge_ = false;
    bool rebalanced_ = false;
    bool following_redrive_ = false;
    Clock::time_point next_redrive_check_ = Clock::time_point::max();
};

}  // namespace fanout::daemon
