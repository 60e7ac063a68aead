#include "restore_job.hpp"

#include <cmath>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    auto text = [&](const char* key, const std::string& value) {
        w.Key(key);
        if (value.empty()) {
            w.Null();
        } else {
            w.String(value);
        }
    };
    w.StartObject();
    w.Key("state");
    w.String(p.state);
    text("topic", p.topic);
    w.Key("targetSequence");
    w.Int64(p.target_sequence);
    w.Key("replayedSequence");
    w.Int64(p.replayed_sequence);
    w.Key("publishedEvents");
    w.Uint64(p.published_events);
    w.Key("percent");
    const double percent = p.target_sequence > 0 ? 100.0 * static_cast<double>(p.replayed_sequence) /
                                                       static_cast<double>(p.target_sequence)
                                                 : (p.state == "completed" ? 100.0 : 0.0);
    w.Double(std::round(percent * 10.0) / 10.0);
    text("requestedAt", p.requested_at);
    text("startedAt", p.started_at);
    text("finishedAt", p.finished_at);
    text("error", p.error);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fanout::post_command
