#include "service.hpp"

#include <stdexcept>

#include "fanout/common/shutdown_watch.hpp"
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
    if (settings_.auth.enabled) {
        auth_ = std::make_unique<TokenVerifier>(settings_.auth);
        log().info("authentication on: bearer JWTs verified with the {}", auth_->describe());
    } else {
        log().warn(
            "authentication is off: any client may act as any user by naming them in a request body; "
            "production configurations set auth.enabled: true (services/post-command/README.md, Authentication)");
    }
    routes_ = std::make_unique<RouteContext>(RouteContext{*commands_, *readers_, *relay_, restore_,
                                                          settings_.kafka.topic, settings_.restore_topic, auth_.get()});
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
    common::ShutdownWatch watch;
    if (server_) {
        server_->stop(std::chrono::seconds(settings_.keep_alive_timeout_s) + settings_.shutdown_timeout, watch);
    }
    watch.step("waiting for the command queue's last group commit");
    if (commands_) commands_->stop();
    watch.step("waiting for the outbox relay to publish what it holds and stop");
    if (relay_) relay_->stop(settings_.shutdown_timeout);
    watch.step("waiting for the event store's WAL checkpointer");
    if (checkpointer_) checkpointer_->stop();
}

}  // namespace fanout::post_command
