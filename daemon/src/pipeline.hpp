#pragma once
// One plugin's pipeline: its own consumer group, consumer and thread.
//
// Delivery: at-least-once. An event's offset is stored (and later committed
// by librdkafka's auto-commit) only after the plugin finished it. Transient
// failures pause the partition, seek back and redeliver after backoff;
// permanent ones go to the dead-letter topic (or stop the pipeline).
//
// Parse ahead (batch.parse_ahead, on by default): while the plugin handles
// one batch, the next one is collected from what is already queued and its
// envelopes parsed on a helper thread. Only events still to be delivered
// are kept: a partition rewound for a retry, revoked, or repositioned by a
// reload loses its events from the next batch (they come again from Kafka).
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "config.hpp"
#include "dead_letter.hpp"
#include "event_record.hpp"
#include "kafka.hpp"
#include "metrics.hpp"
#include "outcome_ledger.hpp"
#include "parse_ahead.hpp"
#include "plugin_context.hpp"
#include "plugin_factory.hpp"

namespace fanout::daemon {

enum class PipelineState { created, starting, running, stopping, stopped, failed };
const char* to_string(PipelineState state) noexcept;

/// Why a partition does not move on. A held partition never reads as caught
/// up: its lag counts from the held offset and is at least 1.
enum class HoldReason {
    retry,                    ///< an event waits for its retry backoff
    dead_letter_failed,       ///< an event waits to be dead-lettered again
    permanent_failure,        ///< on_permanent_error: stop, at this event
    checkpoint_out_of_range,  ///< the plugin's checkpoint is outside [low, high]
    offset_reset,             ///< the broker said the position is out of range
    stopped,                  ///< the plugin stopped (failed) with this partition assigned
};
const char* to_string(HoldReason reason) noexcept;

struct PartitionStatus {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t position = -1;        ///< next offset to consume (-1: not yet known)
    std::int64_t high_watermark = -1;  ///< last seen end of the partition
    std::int64_t lag = -1;             ///< high_watermark - position, -1 when unknown
    std::int64_t low_watermark = -1;   ///< start of the log, when known
    bool held = false;                 ///< not moving on; `position` is where it waits
    HoldReason hold_reason = HoldReason::retry;
    std::string hold_detail;  ///< what holds it, with coordinates
};

/// What /plugins, /metrics and systemd see of a pipeline.
struct PipelineStatus {
    PipelineState state = PipelineState::created;
    bool joined = false;  ///< a member of its consumer group
    std::vector<PartitionStatus> assignment;
    std::string last_error;
    std::uint64_t reloads = 0;
};

class Pipeline {
public:
    Pipeline(std::shared_ptr<const DaemonSettings> daemon, PluginSettings plugin, std::unique_ptr<PluginFactory> factory,
             DeadLetterSink& dead_letters, HostServices& services, MetricsRegistry& metrics);
    ~Pipeline();

    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    /// Start the thread: create the plugin, the consumer, subscribe, consume.
    void start();
    /// Ask the thread to finish its in-flight batch and stop. Thread-safe.
    void request_stop() noexcept;
    /// Ask the thread to swap in a new plugin instance between batches
    /// (offsets committed first; on failure the old instance keeps running).
    void request_reload() noexcept;
    const PluginFactory& factory() const noexcept { return *factory_; }
    /// Wait until the pipeline left `starting` (running, stopped or failed).
    PipelineState wait_started(std::chrono::steady_clock::time_point deadline);
    /// Wait until the thread ended; false on deadline (then it is still running).
    bool wait_finished(std::chrono::steady_clock::time_point deadline);

    PipelineState state() const;
    std::string last_error() const;
    PipelineStatus status() const;
    /// False when the thread has been inside one step (a plugin call, a
    /// rebalance) for longer than `limit`: the pipeline is wedged.
    bool making_progress(std::chrono::milliseconds limit) const;
    const PluginSettings& settings() const noexcept { return settings_; }
    const std::string& group_id() const noexcept { return group_id_; }

private:
    struct Hold {
        std::string topic;
        std::int32_t partition = 0;
        std::int64_t offset = -1;  ///< where the partition waits
        HoldReason reason = HoldReason::retry;
        std::string detail;
        std::int64_t low = -1, high = -1;  ///< watermarks when known (else the refreshed ones)
    };
    struct PausedPartition {
        std::string topic;
        std::int32_t partition;
        std::chrono::steady_clock::time_point resume_at;
    };

    void run();
    void create_consumer();
    /// Collect into incoming_: waiting for the first event and then the
    /// linger, or (`wait` false) only what is queued.
    void collect_batch(bool wait);
    /// batch_ (empty) takes incoming_ and its arena.
    void take_incoming();
    void process_batch();
    void invoke_plugin(std::span<const Event* const> events, std::span<Outcome> outcomes);
    /// Permanent failure: dead-letter (true) or stop / keep for retry (false).
    bool fail_permanently(const EventRecord& event, const std::string& reason, int attempts);
    /// The one place offsets are stored (librdkafka commits them later).
    void store_offsets(rd_kafka_t* consumer, std::span<const OutcomeLedger::NextOffset> offsets);
    void schedule_retry(const EventRecord& event, std::chrono::milliseconds delay, HoldReason reason,
                        const std::string& detail);
    /// Record why a partition waits (replaces an earlier hold of it).
    void hold(Hold h);
    /// Drop retry holds a partition has moved past (next offset `next`).
    void release_holds(std::string_view topic, std::int32_t partition, std::int64_t next);
    /// Stop this plugin with `error` (state failed, nothing more handed to it).
    void halt(const std::string& error);
    /// Checkpoints outside the partitions' current watermarks stop the
    /// plugin: false then. Watermarks are asked of the leaders, never cached.
    bool checkpoints_in_range(const rd_kafka_topic_partition_list_t* partitions);
    /// The consumer reports an offset out of range (auto.offset.reset=error).
    void on_offset_reset(const rd_kafka_message_t* message);
    void resume_due_partitions();
    std::chrono::milliseconds poll_timeout() const;
    void shutdown_consumer();
    void reload_plugin();
    void heartbeat() noexcept;
    void refresh_status(bool now = false);
    void set_state(PipelineState state, const std::string& error = {});

    static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
    void apply_checkpoints(rd_kafka_topic_partition_list_t* partitions);
    void forget_partitions(const rd_kafka_topic_partition_list_t* partitions);
    void nudge_fetchers();
    /// Waits for the next message: the idle timeout, or what is left of the batch's linger.
    rd_kafka_message_t* poll_for_batch(std::chrono::steady_clock::time_point deadline);

    std::shared_ptr<const DaemonSettings> daemon_;
    PluginSettings settings_;
    std::string group_id_;
    DeadLetterSink& dead_letters_;
    HostServices& services_;
    PipelineCounters counters_;
    PluginContext context_;

    // Declaration order is destruction order in reverse: the factory (and
    // the library it holds) must outlive the plugin.
    std::unique_ptr<PluginFactory> factory_;
    std::unique_ptr<Plugin> plugin_;
    Checkpointing* checkpointing_ = nullptr;
    KafkaHandle consumer_;
    KafkaQueue consumer_queue_;  ///< the consumer's queue, to read its length
    std::chrono::steady_clock::time_point next_nudge_{};
    bool consumed_since_nudge_ = false;

    // batch_ goes to the plugin next; incoming_ is collected (and parsed
    // ahead) meanwhile. Each batch parses into an arena of its own; the
    // arenas are declared before the batches, which point into them.
    std::array<JsonArena, 2> arenas_;
    std::size_t batch_arena_ = 0;  ///< arenas_[batch_arena_] is batch_'s, the other incoming_'s
    std::vector<EventRecord> batch_;
    std::vector<EventRecord> incoming_;
    /// Partitions rewound (schedule_retry) since process_batch began: their
    /// events in incoming_ are redelivered, so they are dropped.
    std::vector<std::pair<std::string, std::int32_t>> rewound_;
    std::unique_ptr<ParseAhead> parse_ahead_;  ///< declared after the batches: stops first
    std::vector<PausedPartition> paused_;
    OutcomeLedger ledger_;  ///< what outcomes mean; attempts per event across batches
    bool halted_ = false;
    std::chrono::steady_clock::time_point next_status_refresh_{};
    bool holding_ = false;  ///< holds_ is not empty (read without the lock on the pipeline thread)
    std::atomic<std::int64_t> heartbeat_ns_{0};

    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> reload_requested_{false};
    mutable std::mutex state_mutex_;
    std::condition_variable state_changed_;
    PipelineState state_ = PipelineState::created;
    std::string last_error_;
    bool joined_ = false;
    bool rebalanced_ = false;  ///< the rebalance callback has run (pipeline thread only)
    std::vector<PartitionStatus> assignment_;
    std::vector<Hold> holds_;
    std::uint64_t reloads_ = 0;
    bool ran_ = false;  ///< reached running once
    bool finished_ = false;
    std::thread thread_;
};

}  // namespace fanout::daemon
