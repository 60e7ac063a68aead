#include "webhook_sink.hpp"

#include <stdexcept>

namespace fanout::bench {

WebhookSink::WebhookSink() {
    // httplib writes headers and body separately: Nagle would hold each response.
    server_.set_tcp_nodelay(true);
    server_.Post(".*", [this](const httplib::Request&, httplib::Response& res) {
        ++received_;
        res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot listen on 127.0.0.1 for the webhook receiver");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
}

WebhookSink::~WebhookSink() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace fanout::bench
