#include "service.hpp"

#include <stdexcept>

#include "log.hpp"

namespace fanout::post_command {

Service::Service(Settings settings)
    : settings_(std::move(settings)),
      location_(parse_store_location(settings_.event_store)),
      cache_(settings_.aggregate_cache_size) {
    {
        soci::session session;
        open_store_session(session, location_, settings_.sqlite);
        migrate_store(session, location_.backend);
    }
    writer_ = std::make_unique<EventWriter>(location_, settings_.sqlite);
    readers_ = std::make_unique<ReaderPool>(location_, settings_.sqlite, settings_.reader_connections);
    relay_ = std::make_unique<OutboxRelay>(location_, settings_.sqlite, settings_.kafka, settings_.relay, restore_);
    appender_ = std::make_unique<Appender>(*writer_, settings_.max_group_commit, [this] { relay_->notify(); });
    commands_ = std::make_unique<CommandService>(cache_, *readers_, *appender_,
                                                 CommandPolicy{settings_.snapshot_interval, settings_.max_retries});
    routes_ = std::make_unique<RouteContext>(
        RouteContext{*commands_, *readers_, *relay_, restore_, settings_.kafka.topic, settings_.restore_topic});

    const auto threads = static_cast<std::size_t>(settings_.http_threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(settings_.max_body_bytes);
    server_.set_keep_alive_max_count(100'000);
    server_.set_keep_alive_timeout(settings_.keep_alive_timeout_s);
    // A response is written as headers then body: with Nagle on, the body
    // waits for the client's delayed ACK (~40 ms per request).
    server_.set_tcp_nodelay(true);
    register_routes(server_, *routes_);
    log().info("event store {} (snapshot every {} events), relay to {} topic {}", location_.display(),
               settings_.snapshot_interval, settings_.kafka.brokers, settings_.kafka.topic);
}

Service::~Service() { stop(); }

int Service::bind() {
    int port = settings_.listen_port;
    if (port == 0) {
        port = server_.bind_to_any_port(settings_.listen_address);
    } else if (!server_.bind_to_port(settings_.listen_address, port)) {
        port = -1;
    }
    if (port <= 0) {
        throw std::runtime_error("cannot listen on " + settings_.listen_address + ":" +
                                 std::to_string(settings_.listen_port));
    }
    return port;
}

void Service::start() {
    relay_->start();
    http_thread_ = std::thread([this] { server_.listen_after_bind(); });
}

void Service::stop() {
    if (stopped_) return;
    stopped_ = true;
    // Order matters: no new requests; the ones in progress finish (their
    // appends commit); then the relay publishes what it holds and stops.
    server_.stop();
    if (http_thread_.joinable()) http_thread_.join();
    if (appender_) appender_->stop();
    if (relay_) relay_->stop(settings_.shutdown_timeout);
}

}  // namespace fanout::post_command
