#include "cursor.hpp"

#include <array>

#include "input.hpp"

namespace fanout::post_query {
namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view k_version = "1";
constexpr std::size_t k_max_date_length = 64;
constexpr std::size_t k_max_id_length = 64;

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        for (int shift = 18; shift >= 0; shift -= 6) out += k_alphabet[(v >> shift) & 63];
    }
    const std::size_t rest = in.size() - i;
    if (rest == 1) {
        const unsigned v = byte(i) << 16;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) return std::nullopt;
    std::array<int, 256> value{};
    value.fill(-1);
    for (std::size_t k = 0; k < k_alphabet.size(); ++k)
        value[static_cast<unsigned char>(k_alphabet[k])] = static_cast<int>(k);
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : in) {
        const int v = value[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    // Leftover bits must be zero, so every cursor has exactly one spelling.
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

bool is_plain_text(std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
    }
    return is_valid_utf8(s);
}

}  // namespace

std::string encode_cursor(const PageKey& key) {
    return base64url_encode(std::string(k_version) + '\n' + key.date_posted + '\n' + key.post_id);
}

std::optional<PageKey> decode_cursor(std::string_view cursor) {
    if (cursor.empty() || cursor.size() > k_max_cursor_length) return std::nullopt;
    const auto payload = base64url_decode(cursor);
    if (!payload) return std::nullopt;
    const std::string_view text = *payload;
    const std::size_t first = text.find('\n');
    if (first == std::string_view::npos || text.substr(0, first) != k_version) return std::nullopt;
    const std::size_t second = text.find('\n', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    PageKey key{std::string(text.substr(first + 1, second - first - 1)), std::string(text.substr(second + 1))};
    if (key.date_posted.empty() || key.date_posted.size() > k_max_date_length || !is_plain_text(key.date_posted)) {
        return std::nullopt;
    }
    // Not is_canonical_post_id: the cursor must round-trip whatever id the read model holds.
    if (key.post_id.empty() || key.post_id.size() > k_max_id_length || !is_plain_text(key.post_id)) {
        return std::nullopt;
    }
    return key;
}

}  // namespace fanout::post_query
