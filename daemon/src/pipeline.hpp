#pragma once
// One plugin's pipeline: its own consumer group, consumer and thread.
//
// Delivery: at-least-once. An event's offset is stored (and later committed
// by librdkafka's auto-commit) only after the plugin finished it. Transient
// failures pause the partition, seek back and redeliver after backoff;
// permanent ones go to the dead-letter topic (or stop the pipeline).
//
// The pieces, each with one job:
//   KafkaSource            polls, lingers, wakes fetchers, pauses/rewinds/resumes, stores offsets
//   BatchBuffers           the double buffer, arenas and parse-ahead (batch.parse_ahead)
//   OutcomeLedger          what a batch's outcomes mean: offsets to store, retries, dead letters
//   CheckpointCoordinator  a plugin's own checkpoints at assignment, revocation and reload
//   StatusBoard            state, membership, holds: what /plugins, /metrics and systemd see
// Pipeline runs the loop (run()) and carries out the ledger's decisions.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "batch_buffers.hpp"
#include "checkpoint_coordinator.hpp"
#include "config.hpp"
#include "dead_letter.hpp"
#include "event_record.hpp"
#include "kafka_source.hpp"
#include "metrics.hpp"
#include "outcome_ledger.hpp"
#include "pipeline_status.hpp"
#include "plugin_context.hpp"
#include "plugin_factory.hpp"

namespace fanout::daemon {

class Pipeline final : private RebalanceHandler {
public:
    Pipeline(std::shared_ptr<const DaemonSettings> daemon, PluginSettings plugin, std::unique_ptr<PluginFactory> factory,
             DeadLetterSink& dead_letters, HostServices& services, MetricsRegistry& metrics);
    ~Pipeline() override;

    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    /// Start the thread: create the plugin, the consumer, subscribe, consume.
    void start();
    /// Ask the thread to finish its in-flight batch and stop. Thread-safe.
    void request_stop() noexcept;
    /// An operator holds the plugin (true) or lets it go: applied by the
    /// pipeline thread between batches; what it has handed over is kept.
    void set_paused(bool paused) noexcept { pause_requested_.store(paused, std::memory_order_release); }
    /// A redrive wrote to this plugin's redrive topic: follow it if not yet.
    void request_redrive_follow() noexcept { redrive_asked_.store(true, std::memory_order_release); }
    /// Ask the thread to swap in a new plugin instance between batches
    /// (offsets committed first; on failure the old instance keeps running).
    void request_reload() noexcept;
    const PluginFactory& factory() const noexcept { return *factory_; }
    /// Wait until the pipeline left `starting` (running, stopped or failed).
    PipelineState wait_started(std::chrono::steady_clock::time_point deadline);
    /// Wait until the thread ended; false on deadline (then it is still running).
    bool wait_finished(std::chrono::steady_clock::time_point deadline);

    PipelineState state() const { return status_.state(); }
    std::string last_error() const { return status_.last_error(); }
    PipelineStatus status() const { return status_.snapshot(); }
    /// False when the thread has been inside one step (a plugin call, a
    /// rebalance) for longer than `limit`: the pipeline is wedged.
    bool making_progress(std::chrono::milliseconds limit) const;
    const PluginSettings& settings() const noexcept { return settings_; }
    const std::string& group_id() const noexcept { return group_id_; }

private:
    void run();
    bool start_plugin();
    void finish_run();
    void process_batch();
    /// Carry out a pause or resume an operator asked for.
    void apply_pause();
    /// After a round: let a checkpointing plugin commit (`idle`: no event
    /// waits); work it lost is read again from its checkpoints.
    void settle(bool idle);
    /// Before the instance goes (reload, stop): commit what it holds.
    void settle_before_leaving() noexcept;
    void invoke_plugin(std::span<const Event* const> events, std::span<Outcome> outcomes);
    /// Permanent failure: dead-letter (true) or stop / keep for retry (false).
    bool fail_permanently(const EventRecord& event, const std::string& reason, int attempts);
    void schedule_retry(const EventRecord& event, std::chrono::milliseconds delay, HoldReason reason, bool transient,
                        const std::string& detail);
    /// Stop this plugin with `error` (state failed, nothing more handed to it).
    void halt(const std::string& error);
    /// The consumer reports an offset out of range (auto.offset.reset=error).
    void on_offset_reset(const rd_kafka_message_t* message);
    void reload_plugin();
    void heartbeat() noexcept;
    void refresh_status(bool now = false);

    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) override;
    void assign(rd_kafka_topic_partition_list_t* partitions);
    void revoke(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);

    std::shared_ptr<const DaemonSettings> daemon_;
    PluginSettings settings_;
    std::string group_id_;
    DeadLetterSink& dead_letters_;
    HostServices& services_;
    PipelineCounters counters_;
    PluginContext context_;
    StatusBoard status_;

    // Declaration order is destruction order in reverse: the factory (and
    // the library it holds) must outlive the plugin; the consumer outlives
    // the batches, whose records hold its messages.
    std::unique_ptr<PluginFactory> factory_;
    std::unique_ptr<Plugin> plugin_;
    Checkpointing* checkpointing_ = nullptr;
    KafkaSource source_;
    BatchBuffers buffers_;
    OutcomeLedger ledger_;  ///< what outcomes mean; attempts per event across batches
    CheckpointCoordinator checkpoints_;
    bool halted_ = false;
    std::chrono::steady_clock::time_point next_status_refresh_{};
    std::atomic<std::int64_t> heartbeat_ns_{0};

    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> reload_requested_{false};
    std::atomic<bool> pause_requested_{false};
    std::atomic<bool> redrive_asked_{false};
    bool paused_ = false;  ///< pipeline thread: the assignment is paused for an operator
    bool last_batch_full_ = false;  ///< the last batch handed over held batch.max_events
    std::thread thread_;
};

}  // namespace fanout::daemon
