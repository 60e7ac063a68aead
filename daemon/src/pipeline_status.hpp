#pragma once
// What a pipeline shows of itself (/plugins, /metrics, systemd): its state,
// its group membership and assignment, and why a partition does not move on.
// The pipeline thread writes it; any thread reads a consistent snapshot.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    checkpoints_pending,      ///< assigned, paused until the plugin's checkpoints load (its store is down)
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
    /// Transient failures (retry_later: an outage) have held a partition for
    /// `outage_ms` (-1: none now); degraded once that reaches the plugin's
    /// retry.degraded_after_ms.
    std::int64_t outage_ms = -1;
    bool degraded = false;
    bool paused = false;  ///< held by an operator (fanoutctl pause)
};

/// A partition that waits, and why.
struct Hold {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;  ///< where the partition waits
    HoldReason reason = HoldReason::retry;
    std::string detail;
    std::int64_t low = -1, high = -1;  ///< watermarks when known (else the refreshed ones)
    bool transient = false;            ///< a retry of a transient failure (an outage)
};

/// Lag of a held partition waiting at `offset`: never 0, so a held partition
/// never reads as caught up. Before the log's start: everything from there
/// to the end; beyond the end (topic recreated): the events the log holds.
std::int64_t held_lag(std::int64_t offset, std::int64_t low, std::int64_t high);

/// The pipeline's status, shared between its thread (writer) and readers.
class StatusBoard {
public:
    using PartitionMatch = std::function<bool(std::string_view topic, std::int32_t partition)>;

    PipelineState state() const;
    std::string last_error() const;
    /// The assignment with each held partition's position, lag and reason.
    PipelineStatus snapshot() const;
    void set_state(PipelineState state, const std::string& error = {});
    /// Wait until the state left `starting`; a pipeline that ran once reads as running.
    PipelineState wait_started(std::chrono::steady_clock::time_point deadline);
    /// Wait until finish() was called; false on deadline.
    bool wait_finished(std::chrono::steady_clock::time_point deadline);
    /// The thread ended: `failed` stays, anything else becomes stopped.
    void finish();

    void set_paused(bool paused);
    /// How long an outage lasts before the pipeline reads as degraded.
    void set_degraded_after(std::chrono::milliseconds after) noexcept;
    void set_membership(bool joined, std::vector<PartitionStatus> assignment);
    std::vector<PartitionStatus> assignment() const;
    void count_reload();

    /// Record why a partition waits (replaces an earlier hold of it).
    void hold(Hold h);
    /// Drop the holds of `reason` of the partitions `match` names.
    void release_holds(HoldReason reason, const PartitionMatch& match);
    /// Drop retry holds a partition has moved past (next offset `next`).
    /// Cheap when nothing is held (no lock).
    void release_retry_holds(std::string_view topic, std::int32_t partition, std::int64_t next);
    void forget_holds(const PartitionMatch& revoked);
    /// A stopped plugin: every assigned partition without a hold waits now,
    /// for an operator, at its last known position.
    void hold_assigned_on_stop();

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    PipelineState state_ = PipelineState::created;
    std::string last_error_;
    bool joined_ = false;
    std::vector<PartitionStatus> assignment_;
    std::vector<Hold> holds_;
    std::atomic<bool> holding_{false};  ///< holds_ is not empty
    /// Since when a transient retry holds a partition (none: no outage).
    std::optional<std::chrono::steady_clock::time_point> outage_since_;
    std::chrono::milliseconds degraded_after_{60'000};
    bool paused_ = false;
    /// After holds_ changed: the outage ends when no transient hold is left.
    void update_outage();
    std::uint64_t reloads_ = 0;
    bool ran_ = false;  ///< reached running once
    bool finished_ = false;
};

}  // namespace fanout::daemon
