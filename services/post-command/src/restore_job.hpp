#pragma once
// restoreReadDb: republish the store, in global-sequence order and in pages,
// so a read model (idempotent by version) can be rebuilt from empty. The
// outbox relay runs it (outbox_relay.hpp): one publisher in store order means
// a post's replayed history can never interleave with its live events, and
// the job republishes only what the relay had published when it started, so
// every event's first copy on the topic is the live one.
// This object is the job's state, shared by the HTTP routes and the relay.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace fanout::post_command {

struct RestoreProgress {
    std::string state = "idle";  ///< idle | running | completed | failed | cancelled
    std::string topic;
    std::int64_t target_sequence = 0;    ///< the relay's published position when the job started
    std::int64_t replayed_sequence = 0;  ///< republished up to here
    std::uint64_t published_events = 0;
    std::string requested_at, started_at, finished_at, error;
};

class RestoreJob {
public:
    // HTTP side.
    /// Queue a restore; false when one is already queued or running.
    bool request(const std::string& topic);
    RestoreProgress progress() const;

    // Relay side.
    /// The job to run next, if one is queued or running.
    std::optional<RestoreProgress> active() const;
    void start(std::int64_t target_sequence);
    void advance(std::int64_t replayed_sequence, std::uint64_t events);
    void complete();
    void fail(const std::string& error);
    void cancel();

private:
    mutable std::mutex mutex_;
    RestoreProgress progress_;
    bool queued_ = false;
};

/// The progress as the JSON the status routes return.
std::string restore_progress_json(const RestoreProgress& progress);

}  // namespace fanout::post_command
