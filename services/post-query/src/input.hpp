#pragma once
// Validation of what a client puts in a URL: every function here takes
// untrusted text and either returns a clean value or nothing, never throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fanout/common/text.hpp"

namespace fanout::post_query {

/// A post id in canonical form (36 lowercase hex digits and hyphens), from any
/// form .NET's Guid.Parse accepts: `3fa85f64-5717-4562-b3fc-2c963f66afa6`,
/// the same in upper case, 32 digits without hyphens, or wrapped in {} or ().
std::optional<std::string> parse_post_id(std::string_view text);

/// True when `text` is a canonical post id (what parse_post_id returns).
bool is_canonical_post_id(std::string_view text);

/// A decimal integer in [0, INT64_MAX]: digits only, no sign, no spaces.
std::optional<std::int64_t> parse_count(std::string_view text);

/// %XX-decoding of one path segment ('+' stays '+'); nothing on a bad escape.
using common::percent_decode;

/// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

}  // namespace fanout::post_query
