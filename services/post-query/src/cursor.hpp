#pragma once
// The opaque pagination cursor: the key of the last post of a page, so the
// next page starts strictly after it (keyset pagination: stable under inserts,
// no OFFSET scans).
#include <optional>
#include <string>
#include <string_view>

#include "model.hpp"

namespace fanout::post_query {

/// Longest cursor accepted from a client.
inline constexpr std::size_t k_max_cursor_length = 256;

/// base64url (no padding) of "1\n<date_posted>\n<post_id>".
std::string encode_cursor(const PageKey& key);

/// The key inside a cursor from encode_cursor; nothing for anything else
/// (bad base64, non-canonical padding bits, wrong version, fields that are
/// empty, too long or hold control characters or ill-formed UTF-8).
std::optional<PageKey> decode_cursor(std::string_view cursor);

}  // namespace fanout::post_query
