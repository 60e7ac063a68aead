#include "fanout/common/event_data.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace fanout::event_data {
namespace {

constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
constexpr std::uint64_t k_highs = 0x8080808080808080ULL;

/// Non-zero when a byte of `word` is below `n` (n <= 128) or has its high bit set.
constexpr std::uint64_t below_or_high(std::uint64_t word, std::uint64_t n) {
    return (word | ((word - k_ones * n) & ~word)) & k_highs;
}

/// Non-zero when a byte of `word` is DEL (0x7f).
constexpr std::uint64_t has_del(std::uint64_t word) {
    const std::uint64_t x = word ^ (k_ones * 0x7f);
    return (x - k_ones) & ~x & k_highs;
}

/// Walk `value` as UTF-8. `min_char`: the lowest ASCII byte allowed (1 for
/// text: no NUL; 0x20 for ids: no control character, DEL is checked too).
Check scan(std::string_view value, unsigned char min_char) noexcept {
    const auto* const begin = reinterpret_cast<const unsigned char*>(value.data());
    const auto* const end = begin + value.size();
    const auto* p = begin;
    const bool ids = min_char > 1;
    const auto found = [&](Problem problem, const unsigned char* at) {
        return Check{problem, static_cast<std::size_t>(at - begin)};
    };
    while (p < end) {
        // Most text is ASCII: eight bytes at a time while every byte is
        // allowed (ids also stop at DEL below, byte by byte).
        while (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, 8);
            if (below_or_high(word, min_char) != 0) break;
            if (ids && has_del(word) != 0) break;
            p += 8;
        }
        if (p == end) break;
        const unsigned char c = *p;
        if (c < 0x80) {
            if (c == 0) return found(Problem::nul, p);
            if (c < min_char || (ids && c == 0x7f)) return found(Problem::control, p);
            ++p;
            continue;
        }
        int extra;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return found(Problem::invalid_utf8, p);
        }
        if (end - p <= extra) return found(Problem::invalid_utf8, p);
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xc0) != 0x80) return found(Problem::invalid_utf8, p);
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        constexpr std::uint32_t k_min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < k_min[extra] || cp > 0x10ffff) return found(Problem::invalid_utf8, p);
        if (cp >= 0xd800 && cp <= 0xdfff) return found(Problem::surrogate, p);
        if (ids && cp <= 0x9f) return found(Problem::control, p);  // C1 controls
        p += extra + 1;
    }
    return {};
}

bool digits(std::string_view s, std::size_t from, std::size_t count, int& out) {
    out = 0;
    for (std::size_t i = from; i < from + count; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

/// YYYY-MM-DDTHH:MM:SS[.fraction]Z (RFC 3339 §5.6 in UTC; T and Z in either case).
bool utc_timestamp(std::string_view s) noexcept {
    if (s.size() < 20 || s.size() > 30) return false;
    int year, month, day, hour, minute, second;
    if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' || !digits(s, 8, 2, day) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) ||
        s[16] != ':' || !digits(s, 17, 2, second)) {
        return false;
    }
    std::size_t i = 19;
    if (s[i] == '.') {
        const std::size_t first = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == first || i - first > 9) return false;
    }
    if (i + 1 != s.size() || (s[i] != 'Z' && s[i] != 'z')) return false;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    constexpr std::array<int, 12> k_days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return false;
    const int month_days = k_days[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
    return day >= 1 && day <= month_days && hour <= 23 && minute <= 59 && second <= 60;
}

std::size_t limit(Kind kind) noexcept {
    switch (kind) {
        case Kind::id: return k_max_id_bytes;
        case Kind::name: return k_max_name_bytes;
        case Kind::text: return k_max_text_bytes;
        case Kind::timestamp: return 30;
    }
    return 0;
}

constexpr Field k_post_created[] = {{"author", Kind::name}, {"message", Kind::text}, {"datePosted", Kind::timestamp}};
constexpr Field k_message_updated[] = {{"message", Kind::text}};
constexpr Field k_comment_added[] = {
    {"commentId", Kind::id}, {"comment", Kind::text}, {"username", Kind::name}, {"commentDate", Kind::timestamp}};
constexpr Field k_comment_updated[] = {
    {"commentId", Kind::id}, {"comment", Kind::text}, {"username", Kind::name}, {"editDate", Kind::timestamp}};
constexpr Field k_comment_removed[] = {{"commentId", Kind::id}};

}  // namespace

bool is_blank(std::string_view value) noexcept {
    for (const char c : value) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
    }
    return true;
}

bool valid_utf8_without_nul(std::string_view value) noexcept { return scan(value, 1).problem == Problem::none; }

Check check(Kind kind, std::string_view value) noexcept {
    if (value.empty()) return {Problem::empty, 0};
    if (kind == Kind::timestamp) return utc_timestamp(value) ? Check{} : Check{Problem::bad_timestamp, 0};
    if (value.size() > limit(kind)) return {Problem::too_long, limit(kind)};
    const Check encoding = scan(value, kind == Kind::id ? 0x20 : 1);
    if (!encoding) return encoding;
    if (kind != Kind::id && is_blank(value)) return {Problem::blank, 0};
    return {};
}

std::string_view expectation(Kind kind) noexcept {
    switch (kind) {
        case Kind::id: return "an id: 1 to 128 bytes of UTF-8 without control characters";
        case Kind::name: return "a name: 1 to 100 bytes of UTF-8 without NUL characters, not blank";
        case Kind::text: return "a text: 1 to 65536 bytes of UTF-8 without NUL characters, not blank";
        case Kind::timestamp:
            return "a UTC timestamp in RFC 3339 form, YYYY-MM-DDTHH:MM:SS[.fraction]Z (e.g. 2026-11-22T09:15:02.417Z)";
    }
    return {};
}

std::string explain(std::string_view field, Kind kind, const Check& check) {
    std::string found;
    const std::string at = std::to_string(check.at);
    switch (check.problem) {
        case Problem::none: found = "it is valid"; break;
        case Problem::empty: found = "found an empty string"; break;
        case Problem::blank: found = "found only whitespace"; break;
        case Problem::too_long: found = "found more than " + std::to_string(limit(kind)) + " bytes"; break;
        case Problem::nul: found = "found a NUL character at byte " + at; break;
        case Problem::control: found = "found a control character at byte " + at; break;
        case Problem::invalid_utf8: found = "found invalid UTF-8 at byte " + at; break;
        case Problem::surrogate:
            found = "found an unpaired UTF-16 surrogate at byte " + at + " (a \\uD800-\\uDFFF escape without its pair)";
            break;
        case Problem::bad_timestamp: found = "found another form"; break;
    }
    return std::string(field) + " must be " + std::string(expectation(kind)) + " (" + found + ")";
}

std::span<const Field> data_fields(std::string_view type) noexcept {
    if (type == "PostCreatedEvent") return k_post_created;
    if (type == "MessageUpdatedEvent") return k_message_updated;
    if (type == "CommentAddedEvent") return k_comment_added;
    if (type == "CommentUpdatedEvent") return k_comment_updated;
    if (type == "CommentRemovedEvent") return k_comment_removed;
    return {};
}

}  // namespace fanout::event_data
