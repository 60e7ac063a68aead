#pragma once
// The Command API's HTTP routes (the seed's, so its clients work unchanged)
// plus the status and restore-progress routes. Every answer is JSON; client
// input never causes a 5xx (503 means the event store is unavailable).
//
// With authentication on, every command needs a bearer token (401 without a
// valid one): the token's user is the author of a new post and of a comment,
// may edit or delete only their own posts and comments (403 otherwise, and
// 403 when a body names someone else), and is recorded as the actor of every
// event. restoreReadDb needs the configured admin role. The GET routes
// (status, restore progress) stay open: they show no post data and no secret.
#include <string>

#include "auth.hpp"
#include "command_service.hpp"
#include "http_server.hpp"
#include "outbox_relay.hpp"
#include "reader_pool.hpp"
#include "restore_job.hpp"

namespace fanout::post_command {

struct RouteContext {
    CommandService& commands;
    ReaderPool& readers;
    OutboxRelay& relay;
    RestoreJob& restore;
    std::string topic;          ///< where the relay publishes
    std::string restore_topic;  ///< where restoreReadDb republishes
    /// Null: authentication off (the seed's behaviour: the body says who acts).
    const TokenVerifier* auth = nullptr;
};

/// Every route. `context` must outlive the server that uses them.
http::Router make_routes(RouteContext& context);

/// The JSON answer for the server's own errors (404 unknown route, 413 body
/// too large, ...).
http::Response error_response(int status);

}  // namespace fanout::post_command
