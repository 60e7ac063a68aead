#pragma once
// The Query API's contract, services/post-query/openapi.yaml, served at
// GET /openapi.json (embedded at build time: services/openapi/).
#include <string_view>

namespace fanout::post_query {

/// The document as compact JSON (generated from openapi.yaml).
std::string_view openapi_json() noexcept;

}  // namespace fanout::post_query
