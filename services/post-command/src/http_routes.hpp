#pragma once
// The Command API's HTTP routes (the seed's, so its clients work unchanged)
// plus the status and restore-progress routes. Every answer is JSON; client
// input never causes a 5xx (503 means the event store is unavailable).
#include <string>

#include <httplib.h>

#include "command_service.hpp"
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
};

/// Register every route on `server`, plus JSON bodies for httplib's own
/// errors (404 unknown route, 413 body too large, ...). `context` must
/// outlive the server.
void register_routes(httplib::Server& server, RouteContext& context);

}  // namespace fanout::post_command
