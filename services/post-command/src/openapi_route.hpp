#pragma once
// GET /openapi.json: the Command API's contract, services/post-command/openapi.yaml
// as JSON (embedded at build time: services/openapi/).
#include <string_view>

#include "http_server.hpp"

namespace fanout::post_command {

/// The document as compact JSON (generated from openapi.yaml).
std::string_view openapi_json() noexcept;

/// Adds GET (and so HEAD) /openapi.json to `router`.
void add_openapi_route(http::Router& router);

}  // namespace fanout::post_command
