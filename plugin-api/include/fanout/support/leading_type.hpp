#pragma once
// An event's type read from the first bytes of its value, without parsing
// the JSON: publishers following docs/events.md write `type` right after
// `eventId`. fanoutd filters by type this way; FakeEvent reads it the same.
#include <optional>
#include <string_view>

namespace fanout::support {

/// The type when `payload` starts {"eventId":"...","type":"..." (within its
/// first 100 bytes, no escapes in the type); nullopt otherwise.
inline std::optional<std::string_view> leading_type(std::string_view payload) {
    constexpr std::string_view k_head = "{\"eventId\":\"";
    constexpr std::string_view k_type = "\",\"type\":\"";
    if (payload.substr(0, k_head.size()) != k_head) return std::nullopt;
    const auto type_at = payload.find(k_type, k_head.size());
    if (type_at == std::string_view::npos || type_at >= 100) return std::nullopt;
    const auto begin = type_at + k_type.size();
    const auto end = payload.find('"', begin);
    if (end == std::string_view::npos || end <= begin) return std::nullopt;
    const std::string_view type = payload.substr(begin, end - begin);
    if (type.find('\\') != std::string_view::npos) return std::nullopt;
    return type;
}

}  // namespace fanout::support
