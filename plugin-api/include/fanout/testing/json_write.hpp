#pragma once
// JSON written as fanoutd's writer writes it (RapidJSON's defaults), and ids
// derived from text: for fanout::testing::FakeEvent.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fanout/support/json_string.hpp"

namespace fanout::testing::detail {

/// `text` as a JSON string literal, escaped as the daemon writes it.
inline void append_json_string(std::string& out, std::string_view text) {
    support::append_json_string(out, text, support::HexDigits::upper);
}

/// A double as the daemon writes it: shortest digits, `.0` on whole numbers.
inline void append_json_double(std::string& out, double d) {
    if (std::signbit(d)) {
        out += '-';
        d = -d;
    }
    if (d == 0) {
        out += "0.0";
        return;
    }
    char buffer[64];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
    const std::string_view sci(buffer, static_cast<std::size_t>(r.ptr - buffer));
    const auto e_at = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_at)) {
        if (c != '.') digits += c;
    }
    int exponent = 0;
    const std::string_view exp_text = sci.substr(e_at + 1);
    std::from_chars(exp_text.data() + (exp_text[0] == '+' ? 1 : 0), exp_text.data() + exp_text.size(), exponent);
    const int length = static_cast<int>(digits.size());
    const int k = exponent - (length - 1);  // d = digits * 10^k
    const int kk = length + k;
    if (k >= 0 && kk <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(k), '0');
        out += ".0";
    } else if (kk > 0 && kk <= 21) {
        out.append(digits, 0, static_cast<std::size_t>(kk));
        out += '.';
        out.append(digits, static_cast<std::size_t>(kk));
    } else if (kk > -6 && kk <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-kk), '0');
        out += digits;
    } else {
        out += digits[0];
        if (length > 1) {
            out += '.';
            out.append(digits, 1);
        }
        out += 'e';
        out += std::to_string(kk - 1);
    }
}

/// FNV-1a, for ids derived from an event's fields.
inline std::uint64_t fnv1a(std::string_view text, std::uint64_t seed = 0xcbf29ce484222325ULL) {
    for (const char c : text) {
        seed ^= static_cast<unsigned char>(c);
        seed *= 0x100000001b3ULL;
    }
    return seed;
}

/// A UUID-shaped id (version 4 layout) that depends only on `text`.
inline std::string uuid_from(std::string_view text) {
    const std::uint64_t a = fnv1a(text), b = fnv1a(text, a ^ 0x9e3779b97f4a7c15ULL);
    char out[37];
    std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                  static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return out;
}

}  // namespace fanout::testing::detail
