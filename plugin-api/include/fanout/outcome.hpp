#pragma once
// What became of one event after a plugin handled it.
#include <string>
#include <utility>

namespace fanout {

/// The per-event result a plugin reports. Values, not exceptions: the data
/// plane never throws on purpose (a throw is still caught by the host and
/// treated like failed with the exception's message).
class Outcome {
public:
    enum class Kind {
        done,         ///< handled; the host may store the offset
        retry_later,  ///< transient failure (a database or receiver down): redeliver after a backoff
                      ///< growing to retry.max_backoff_ms, partition paused, for as long as it takes;
                      ///< never dead-lettered (the plugin reads as degraded after retry.degraded_after_ms)
        reject,       ///< permanent failure: dead-letter (or stop), then continue
        failed,       ///< neither transient nor known permanent (a handler's exception, a script
                      ///< error): redeliver after backoff; dead-lettered after retry.max_attempts failures
    };

    Outcome() = default;

    static Outcome done() { return Outcome{Kind::done, {}}; }
    static Outcome retry_later(std::string reason) { return Outcome{Kind::retry_later, std::move(reason)}; }
    static Outcome reject(std::string reason) { return Outcome{Kind::reject, std::move(reason)}; }
    static Outcome failed(std::string reason) { return Outcome{Kind::failed, std::move(reason)}; }

    Kind kind() const noexcept { return kind_; }
    const std::string& reason() const noexcept { return reason_; }
    bool is_done() const noexcept { return kind_ == Kind::done; }

private:
    Outcome(Kind kind, std::string reason) : kind_(kind), reason_(std::move(reason)) {}

    Kind kind_ = Kind::done;
    std::string reason_;
};

inline const char* to_string(Outcome::Kind kind) noexcept {
    switch (kind) {
        case Outcome::Kind::done: return "done";
        case Outcome::Kind::retry_later: return "retry_later";
        case Outcome::Kind::reject: return "reject";
        case Outcome::Kind::failed: return "failed";
    }
    return "unknown";
}

}  // namespace fanout
