#include "webhook_receiver.hpp"

#include <httplib.h>

#include <chrono>
#include <stdexcept>

namespace fanout::test {

WebhookReceiver::WebhookReceiver()
    : responder_([](const Request&) {
          return std::pair<int, std::string>{200, "{\"ok\":true}"};
      }) {}

WebhookReceiver::~WebhookReceiver() { stop(); }

int WebhookReceiver::start(int port) {
    if (server_) throw std::logic_error("receiver already started");
    server_ = std::make_unique<httplib::Server>();
    // httplib writes a response's headers and body separately: with Nagle on,
    // the body waits for the client's delayed ACK (~40 ms per request).
    server_->set_tcp_nodelay(true);
    server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
        Request r{req.path,
                  req.get_header_value("Idempotency-Key"),
                  req.get_header_value("Content-Type"),
                  req.get_header_value("X-Fanout-Test"),
                  req.body,
                  0};
        if (delayed_left_.fetch_sub(1) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
        std::lock_guard lock(mutex_);
        auto [status, body] = responder_(r);
        r.status = status;
        requests_.push_back(std::move(r));
        res.status = status;
        res.set_content(body, "application/json");
    });
    const int bound =
        port == 0 ? server_->bind_to_any_port("127.0.0.1") : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    if (bound <= 0) {
        server_.reset();
        throw std::runtime_error("receiver cannot bind 127.0.0.1:" + std::to_string(port));
    }
    port_ = bound;
    thread_ = std::thread([server = server_.get()] { server->listen_after_bind(); });
    // stop() before the loop runs would leave it running forever: wait for it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!server_->is_running()) throw std::runtime_error("receiver did not start");
    return port_;
}

void WebhookReceiver::stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
}

void WebhookReceiver::set_responder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
}

void WebhookReceiver::delay_next(int count, std::chrono::milliseconds delay) {
    delay_ms_ = delay.count();
    delayed_left_ = count;
}

std::vector<WebhookReceiver::Request> WebhookReceiver::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<std::string> WebhookReceiver::accepted_keys() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& r : requests_) {
        if (r.status >= 200 && r.status < 300) out.push_back(r.idempotency_key);
    }
    return out;
}

std::size_t WebhookReceiver::count_status(int status) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& r : requests_) n += r.status == status ? 1 : 0;
    return n;
}

}  // namespace fanout::test
