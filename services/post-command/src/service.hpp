#pragma once
// post-command's parts, built from Settings and wired together: the event
// store, group-commit appender, command service, outbox relay and HTTP
// server. main.cpp owns one; start() and stop() run and end it.
#include <memory>
#include <thread>

#include <httplib.h>

#include "aggregate_cache.hpp"
#include "appender.hpp"
#include "command_service.hpp"
#include "config.hpp"
#include "http_routes.hpp"
#include "outbox_relay.hpp"
#include "reader_pool.hpp"
#include "restore_job.hpp"

namespace fanout::post_command {

class Service {
public:
    /// Opens (and migrates) the event store; throws std::exception when it
    /// cannot.
    explicit Service(Settings settings);
    ~Service();

    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    /// Bind the listening socket; returns the port (the chosen one for port 0).
    /// Throws std::runtime_error when the address cannot be bound.
    int bind();
    /// Start the relay and serve HTTP on a thread.
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
    std::unique_ptr<Appender> appender_;
    std::unique_ptr<ReaderPool> readers_;
    AggregateCache cache_;
    std::unique_ptr<CommandService> commands_;
    std::unique_ptr<RouteContext> routes_;
    httplib::Server server_;
    std::thread http_thread_;
    bool stopped_ = false;
};

}  // namespace fanout::post_command
