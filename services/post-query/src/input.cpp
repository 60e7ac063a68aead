#include "input.hpp"

namespace fanout::post_query {
namespace {

/// Length of the well-formed UTF-8 sequence at the start of `s`, 0 if ill-formed.
std::size_t utf8_sequence_length(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        if (b0 == 0xE0) low = 0xA0;   // overlong
        if (b0 == 0xED) high = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        if (b0 == 0xF0) low = 0x90;   // overlong
        if (b0 == 0xF4) high = 0x8F;  // past U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    }
    return length;
}

}  // namespace

std::optional<std::string> parse_post_id(std::string_view text) {
    if (text.size() == 38 &&
        ((text.front() == '{' && text.back() == '}') || (text.front() == '(' && text.back() == ')'))) {
        text = text.substr(1, 36);
    }
    std::string digits;
    if (text.size() == 36) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const bool hyphen_here = i == 8 || i == 13 || i == 18 || i == 23;
            if (hyphen_here != (text[i] == '-')) return std::nullopt;
            if (!hyphen_here) digits += text[i];
        }
    } else if (text.size() == 32) {
        digits = text;
    } else {
        return std::nullopt;
    }
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const int v = common::hex_digit_value(digits[i]);
        if (v < 0) return std::nullopt;
        if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
        out += "0123456789abcdef"[v];
    }
    return out;
}

bool is_canonical_post_id(std::string_view text) {
    const auto parsed = parse_post_id(text);
    return parsed && *parsed == text;
}

std::optional<std::int64_t> parse_count(std::string_view text) {
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    return common::parse_integer<std::int64_t>(text);  // nothing when empty or on overflow
}

bool is_valid_utf8(std::string_view text) {
    while (!text.empty()) {
        if (static_cast<unsigned char>(text.front()) < 0x80) {  // the common case: ASCII
            text.remove_prefix(1);
            continue;
        }
        const std::size_t n = utf8_sequence_length(text);
        if (n == 0) return false;
        text.remove_prefix(n);
    }
    return true;
}

std::string to_valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t n = utf8_sequence_length(text);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            text.remove_prefix(1);
        } else {
            out.append(text.substr(0, n));
            text.remove_prefix(n);
        }
    }
    return out;
}

}  // namespace fanout::post_query
