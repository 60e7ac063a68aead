#pragma once
// The audit trail and time travel over HTTP (services/post-command/README.md,
// "History"):
//   GET /api/v1/posts/{postId}/events?fromVersion=N&limit=M
//       the post's events, oldest first, a page at a time (limit 1..1000,
//       default 100); `next` names the following page.
//   GET /api/v1/posts/{postId}/state[?version=N | ?at=<RFC 3339 time>]
//       the post's state now, as of a version, or as of a time.
// 400 for a malformed id or parameter (the message names it and what was
// expected), 404 for a post without events (or without any by that point),
// 503 when the event store is unavailable. Reads lease a ReaderPool
// connection: the command writer never waits on them.
#include "http_routes.hpp"
#include "http_server.hpp"

namespace fanout::post_command {

/// Register the history routes on `router`; `context` must outlive the server.
void add_history_routes(http::Router& router, RouteContext& context);

}  // namespace fanout::post_command
