#pragma once
// Small text rules that fanoutd's admin endpoint, both services and the
// connection-string parser share: hex digits, percent-decoding, whole-text
// integers.
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace fanout::common {

/// The value of one hex digit (either case), -1 for any other character.
int hex_digit_value(char c);

/// `%XX` decoded; nothing when a `%` is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

/// `%XX` decoded, a malformed `%` kept as it is (request paths and query
/// strings: a client's typo is a 404 or a 400 later, not a parse failure).
/// With `plus_is_space` a `+` is a space, as in a form-encoded query string.
std::string percent_decode_lenient(std::string_view text, bool plus_is_space = false);

/// A secret kept in a file (a token): its text without surrounding spaces
/// and line ends; nothing when the file cannot be read or holds none.
/// Unix milliseconds as `2026-12-05T10:00:00.123Z` (RFC 3339, UTC).
std::string format_utc_ms(std::int64_t ms);
/// Now, in Unix milliseconds.
std::int64_t now_utc_ms();

std::optional<std::string> read_secret_file(const std::filesystem::path& file);

/// The whole of `text` as an integer of type `Int` (std::from_chars rules: an
/// optional `-` for signed types, decimal digits, no spaces); nothing when
/// empty, not a number to the end, or out of the type's range.
template <class Int>
std::optional<Int> parse_integer(std::string_view text) {
    Int value{};
    const char* const end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || stop != end) return std::nullopt;
    return value;
}

}  // namespace fanout::common
