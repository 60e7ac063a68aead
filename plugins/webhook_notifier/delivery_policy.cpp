#include "delivery_policy.hpp"

namespace fanout::plugins::webhook {

Verdict classify_status(int status) noexcept {
    if (status >= 200 && status < 300) return Verdict::delivered;
    // 408 Request Timeout, 425 Too Early and 429 Too Many Requests ask the
    // client to come back; 5xx is the receiver's own trouble.
    if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) return Verdict::transient;
    return Verdict::permanent;
}

std::string body_excerpt(std::string_view body, std::size_t max_chars) {
    std::string out;
    const bool cut = body.size() > max_chars;
    if (cut) body = body.substr(0, max_chars);
    out.reserve(body.size() + 3);
    for (const char c : body) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    if (cut) out += "...";
    return out;
}

}  // namespace fanout::plugins::webhook
