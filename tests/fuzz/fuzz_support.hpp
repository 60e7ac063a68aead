#pragma once
// Shared by the fuzz targets: the entry point's declaration, a check that
// stops the run with a message (libFuzzer keeps the input as a crash), and a
// little record format for inputs made of several parts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fanout::fuzz {

/// Abort with `what` when `condition` is false: a broken property is a finding
/// like a crash.
inline void check(bool condition, const char* what, std::string_view detail = {}) {
    if (condition) return;
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Splits `text` at every `separator` (e.g. a NUL byte or "\n\n"); always at
/// least one part. Seeds stay readable and mutations move bytes between parts.
inline std::vector<std::string_view> split(std::string_view text, std::string_view separator, std::size_t max_parts) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < max_parts) {
        const auto at = text.find(separator);
        if (at == std::string_view::npos) break;
        parts.push_back(text.substr(0, at));
        text.remove_prefix(at + separator.size());
    }
    parts.push_back(text);
    return parts;
}

}  // namespace fanout::fuzz
