#include "pipeline_status.hpp"

#include <algorithm>

namespace fanout::daemon {

const char* to_string(PipelineState state) noexcept {
    switch (state) {
        case PipelineState::created: return "created";
        case PipelineState::starting: return "starting";
        case PipelineState::running: return "running";
        case PipelineState::stopping: return "stopping";
        case PipelineState::stopped: return "stopped";
        case PipelineState::failed: return "failed";
    }
    return "unknown";
}

const char* to_string(HoldReason reason) noexcept {
    switch (reason) {
        case HoldReason::retry: return "retry";
        case HoldReason::dead_letter_failed: return "dead_letter_failed";
        case HoldReason::permanent_failure: return "permanent_failure";
        case HoldReason::checkpoint_out_of_range: return "checkpoint_out_of_range";
        case HoldReason::offset_reset: return "offset_reset";
        case HoldReason::stopped: return "stopped";
        case HoldReason::checkpoints_pending: return "checkpoints_pending";
    }
    return "unknown";
}

std::int64_t held_lag(std::int64_t offset, std::int64_t low, std::int64_t high) {
    if (high < 0 || offset < 0) return 1;
    if (offset > high) return std::max<std::int64_t>(1, high - std::max<std::int64_t>(low, 0));
    return std::max<std::int64_t>(1, high - offset);
}

PipelineState StatusBoard::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::string StatusBoard::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

PipelineStatus StatusBoard::snapshot() const {
    std::lock_guard lock(mutex_);
    PipelineStatus status{state_, joined_, assignment_, last_error_, reloads_};
    status.paused = paused_;
    if (outage_since_) {
        const auto lasted = std::chrono::steady_clock::now() - *outage_since_;
        status.outage_ms = std::chrono::duration_cast<std::chrono::milliseconds>(lasted).count();
        status.degraded = lasted >= degraded_after_;
    }
    for (const Hold& h : holds_) {
        auto it = std::find_if(status.assignment.begin(), status.assignment.end(), [&](const PartitionStatus& ps) {
            return ps.partition == h.partition && ps.topic == h.topic;
        });
        if (it == status.assignment.end()) {
            // No longer assigned (the plugin stopped): what was known when it stopped.
            it = status.assignment.emplace(status.assignment.end());
            it->topic = h.topic;
            it->partition = h.partition;
            it->high_watermark = h.high;
        }
        if (h.offset >= 0) it->position = h.offset;  // else where it is (a pending load: not yet known)
        if (h.high >= 0 && (h.reason == HoldReason::checkpoint_out_of_range || h.reason == HoldReason::offset_reset)) {
            it->high_watermark = h.high;  // asked of the leader when it stopped
        }
        if (h.low >= 0) it->low_watermark = h.low;
        it->lag = held_lag(it->position, it->low_watermark, it->high_watermark);
        it->held = true;
        it->hold_reason = h.reason;
        it->hold_detail = h.detail;
    }
    return status;
}

void StatusBoard::set_state(PipelineState state, const std::string& error) {
    {
        std::lock_guard lock(mutex_);
        state_ = state;
        if (state == PipelineState::running) ran_ = true;
        if (!error.empty()) last_error_ = error;
    }
    changed_.notify_all();
}

PipelineState StatusBoard::wait_started(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return state_ != PipelineState::starting; });
    // A plugin that started and stopped since (a checkpoint out of range
    // found at its first assignment) did start: the daemon runs on.
    return ran_ ? PipelineState::running : state_;
}

bool StatusBoard::wait_finished(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return finished_; });
}

void StatusBoard::finish() {
    {
        std::lock_guard lock(mutex_);
        assignment_.clear();  // the consumer left its group
        joined_ = false;
        if (state_ != PipelineState::failed) state_ = PipelineState::stopped;
        finished_ = true;
    }
    changed_.notify_all();
}

void StatusBoard::set_membership(bool joined, std::vector<PartitionStatus> assignment) {
    std::lock_guard lock(mutex_);
    joined_ = joined;
    assignment_ = std::move(assignment);
}

std::vector<PartitionStatus> StatusBoard::assignment() const {
    std::lock_guard lock(mutex_);
    return assignment_;
}

void StatusBoard::count_reload() {
    std::lock_guard lock(mutex_);
    ++reloads_;
}

void StatusBoard::hold(Hold h) {
    std::lock_guard lock(mutex_);
    std::erase_if(holds_, [&](const Hold& o) { return o.partition == h.partition && o.topic == h.topic; });
    holds_.push_back(std::move(h));
    holding_.store(true, std::memory_order_relaxed);
    update_outage();
}

void StatusBoard::set_paused(bool paused) {
    std::lock_guard lock(mutex_);
    paused_ = paused;
}

void StatusBoard::set_degraded_after(std::chrono::milliseconds after) noexcept {
    std::lock_guard lock(mutex_);
    degraded_after_ = after;
}

void StatusBoard::update_outage() {
    const bool outage = std::any_of(holds_.begin(), holds_.end(), [](const Hold& h) { return h.transient; });
    if (!outage) {
        outage_since_.reset();
    } else if (!outage_since_) {
        outage_since_ = std::chrono::steady_clock::now();
    }
}

void StatusBoard::release_retry_holds(std::string_view topic, std::int32_t partition, std::int64_t next) {
    if (!holding_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex_);
    std::erase_if(holds_, [&](const Hold& h) {
        return h.partition == partition && h.topic == topic && h.offset < next &&
               (h.reason == HoldReason::retry || h.reason == HoldReason::dead_letter_failed);
    });
    holding_.store(!holds_.empty(), std::memory_order_relaxed);
    update_outage();
}

void StatusBoard::release_holds(HoldReason reason, const PartitionMatch& match) {
    if (!holding_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex_);
    std::erase_if(holds_, [&](const Hold& h) { return h.reason == reason && match(h.topic, h.partition); });
    holding_.store(!holds_.empty(), std::memory_order_relaxed);
    update_outage();
}

void StatusBoard::forget_holds(const PartitionMatch& revoked) {
    if (!holding_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex_);
    std::erase_if(holds_, [&](const Hold& h) { return revoked(h.topic, h.partition); });
    holding_.store(!holds_.empty(), std::memory_order_relaxed);
    update_outage();
}

void StatusBoard::hold_assigned_on_stop() {
    std::lock_guard lock(mutex_);
    for (const PartitionStatus& ps : assignment_) {
        if (std::none_of(holds_.begin(), holds_.end(),
                         [&](const Hold& h) { return h.partition == ps.partition && h.topic == ps.topic; })) {
            holds_.push_back({ps.topic, ps.partition, ps.position, HoldReason::stopped,
                              "the plugin stopped: " + last_error_, -1, ps.high_watermark});
        }
    }
    holding_.store(!holds_.empty(), std::memory_order_relaxed);
}

}  // namespace fanout::daemon
