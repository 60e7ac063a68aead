#pragma once
// post-command's parts, built from Settings and wired together: the event
// store, the command pipeline (group commit), outbox relay and HTTP server.
// main.cpp owns one; start() and stop() run and end it.
#include <memory>

#include "aggregate_cache.hpp"
#include "command_service.hpp"
#include "config.hpp"
#include "http_routes.hpp"
#include "http_server.hpp"
#include "outbox_relay.hpp"
#include "reader_pool.hpp"
#include "restore_job.hpp"
#include "wal_checkpointer.hpp"

namespace fanout::post_command {

class Service {
public:
    /// Opens (and migrates) the event store; throws std::exception when it
    /// cannot.
    explicit Service(Settings settings);
    ~Service();

    /// Bind the listening socket; returns the port (the chosen one for port 0).
    /// Throws std::runtime_error when the address cannot be bound.
    int bind();
    /// Start the relay and the command thread, and serve HTTP.
    void start();
    /// Stop accepting, finish the requests in progress and the appends they
    /// queued, let the relay finish its in-flight publish. Idempotent.
    void stop();

private:
    Settings settings_;
    StoreLocation location_;
    std::unique_ptr<EventWriter> writer_;
    RestoreJob restore_;
    std::unique_ptr<OutboxRelay> relay_;
    std::unique_ptr<ReaderPool> readers_;
    std::unique_ptr<WalCheckpointer> checkpointer_;
    AggregateCache cache_;
    // Destroyed after the commands: a command answered at shutdown still
    // posts its answer to the server's I/O context.
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<CommandService> commands_;
    std::unique_ptr<TokenVerifier> auth_;  // null: authentication off
    std::unique_ptr<RouteContext> routes_;
    bool stopped_ = false;
};

}  // namespace fanout::post_command
