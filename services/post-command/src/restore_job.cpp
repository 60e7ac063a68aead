#include "restore_job.hpp"

#include <cmath>

#include "fanout/common/json_object.hpp"
#include "utc_clock.hpp"

namespace fanout::post_command {

bool RestoreJob::request(const std::string& topic) {
    std::lock_guard lock(mutex_);
    if (queued_ || progress_.state == "running") return false;
    progress_ = RestoreProgress{};
    progress_.state = "running";
    progress_.topic = topic;
    progress_.requested_at = now_rfc3339_ms();
    queued_ = true;
    return true;
}

RestoreProgress RestoreJob::progress() const {
    std::lock_guard lock(mutex_);
    return progress_;
}

std::optional<RestoreProgress> RestoreJob::active() const {
    std::lock_guard lock(mutex_);
    if (progress_.state != "running") return std::nullopt;
    return progress_;
}

void RestoreJob::start(std::int64_t target_sequence) {
    std::lock_guard lock(mutex_);
    queued_ = false;
    progress_.target_sequence = target_sequence;
    progress_.started_at = now_rfc3339_ms();
}

void RestoreJob::advance(std::int64_t replayed_sequence, std::uint64_t events) {
    std::lock_guard lock(mutex_);
    progress_.replayed_sequence = replayed_sequence;
    progress_.published_events += events;
}

void RestoreJob::complete() {
    std::lock_guard lock(mutex_);
    progress_.state = "completed";
    progress_.finished_at = now_rfc3339_ms();
}

void RestoreJob::fail(const std::string& error) {
    std::lock_guard lock(mutex_);
    queued_ = false;
    progress_.state = "failed";
    progress_.error = error;
    progress_.finished_at = now_rfc3339_ms();
}

void RestoreJob::cancel() {
    std::lock_guard lock(mutex_);
    if (progress_.state != "running") return;
    queued_ = false;
    progress_.state = "cancelled";
    progress_.finished_at = now_rfc3339_ms();
}

std::string restore_progress_json(const RestoreProgress& p) {
    using common::JsonValue;
    const double percent = p.target_sequence > 0 ? 100.0 * static_cast<double>(p.replayed_sequence) /
                                                       static_cast<double>(p.target_sequence)
                                                 : (p.state == "completed" ? 100.0 : 0.0);
    return common::json_object({{"state", p.state},
                                {"topic", JsonValue::or_null(p.topic)},
                                {"targetSequence", p.target_sequence},
                                {"replayedSequence", p.replayed_sequence},
                                {"publishedEvents", p.published_events},
                                {"percent", std::round(percent * 10.0) / 10.0},
                                {"requestedAt", JsonValue::or_null(p.requested_at)},
                                {"startedAt", JsonValue::or_null(p.started_at)},
                                {"finishedAt", JsonValue::or_null(p.finished_at)},
                                {"error", JsonValue::or_null(p.error)}});
}

}  // namespace fanout::post_command
