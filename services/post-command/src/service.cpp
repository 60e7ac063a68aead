#include "service.hpp"

#include <stdexcept>

#include "log.hpp"

namespace fanout::post_command {

Service::Service(Settings settings)
    : settings_(std::move(settings)),
      location_(parse_store_location(settings_.event_store)),
      cache_(settings_.aggregate_cache_size) {
    if (location_.backend == Backend::sqlite) {
        settings_.sqlite.background_checkpoints = true;
        checkpointer_ = std::make_unique<WalCheckpointer>(location_, settings_.sqlite, std::chrono::milliseconds(200));
    }
    {
        soci::session session;
        open_store_session(session, location_, settings_.sqlite);
        migrate_store(session, location_.backend);
    }
    writer_ = std::make_unique<EventWriter>(location_, settings_.sqlite);
    readers_ = std::make_unique<ReaderPool>(location_, settings_.sqlite, settings_.reader_connections);
    relay_ = std::make_unique<OutboxRelay>(location_, settings_.sqlite, settings_.kafka, settings_.relay, restore_);
    commands_ = std::make_unique<CommandService>(
        cache_, *readers_, *writer_,
        CommandPolicy{settings_.snapshot_interval, settings_.max_retries, settings_.max_group_commit},
        [this] { relay_->notify(); });
    routes_ = std::make_unique<RouteContext>(
        RouteContext{*commands_, *readers_, *relay_, restore_, settings_.kafka.topic, settings_.restore_topic});
    http::ServerOptions http_options;
    http_options.address = settings_.listen_address;
    http_options.port = settings_.listen_port;
    http_options.threads = settings_.http_threads;
    http_options.max_body_bytes = settings_.max_body_bytes;
    http_options.keep_alive_timeout = std::chrono::seconds(settings_.keep_alive_timeout_s);
    server_ = std::make_unique<http::Server>(http_options, make_routes(*routes_), error_response);
    log().info("event store {} (snapshot every {} events), relay to {} topic {}", location_.display(),
               settings_.snapshot_interval, settings_.kafka.brokers, settings_.kafka.topic);
}

Service::~Service() { stop(); }

int Service::bind() { return server_->bind(); }

void Service::start() {
    if (checkpointer_) checkpointer_->start();
    relay_->start();
    commands_->start();
    server_->start();
}

void Service::stop() {
    if (stopped_) return;
    stopped_ = true;
    // Order matters: no new requests; the ones in progress are decided,
    // committed and answered; then the relay publishes what it holds and stops.
    if (server_) server_->stop(std::chrono::seconds(settings_.keep_alive_timeout_s) + settings_.shutdown_timeout);
    if (commands_) commands_->stop();
    if (relay_) relay_->stop(settings_.shutdown_timeout);
    if (checkpointer_) checkpointer_->stop();
}

}  // namespace fanout::post_command
