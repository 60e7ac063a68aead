#pragma once
// What an HTTP answer (or the lack of one) means for the event that caused it.
#include <string>
#include <string_view>

namespace fanout::plugins::webhook {

enum class Verdict {
    delivered,  ///< 2xx: the receiver has it
    transient,  ///< try again later: the partition pauses, nothing is lost
    permanent,  ///< the receiver will never accept it: dead-letter
};

/// 2xx delivered; 408, 425, 429 and 5xx transient; every other status
/// (other 4xx, and 1xx/3xx: redirects are not followed) permanent.
Verdict classify_status(int status) noexcept;

/// No HTTP answer at all (refused, reset, DNS failure, timeout, TLS
/// handshake): always transient, the receiver may come back.
inline constexpr Verdict k_transport_failure_verdict = Verdict::transient;

/// At most `max_chars` of a response body for a log line or a dead-letter
/// reason: control characters become spaces, "..." marks a cut.
std::string body_excerpt(std::string_view body, std::size_t max_chars = 200);

}  // namespace fanout::plugins::webhook
