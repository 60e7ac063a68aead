#pragma once
// The query string of a request target, decoded into parameters. Pure: no
// I/O, so any target a client can send is unit-tested and fuzzed.
#include <map>
#include <string>
#include <string_view>

namespace fanout::post_query {

/// Decoded query parameters, in key order; a key may repeat.
using QueryParams = std::multimap<std::string, std::string>;

/// The parameters of `target` (everything after the first '?'). Pairs are
/// separated by '&'; `+` is a space and `%XX` a byte (a malformed escape stays
/// as written, for the validators to refuse); a pair without '=' has an empty
/// value; a pair repeated byte for byte counts once.
QueryParams parse_query_params(std::string_view target);

}  // namespace fanout::post_query
