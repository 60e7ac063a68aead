#pragma once
// A real HTTP receiver for the notifier's integration tests: httplib::Server
// on 127.0.0.1 in its own thread, recording every request it answers.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace fanout::test {

class WebhookReceiver {
public:
    struct Request {
        std::string path;
        std::string idempotency_key;
        std::string content_type;
        std::string test_header;  ///< X-Fanout-Test
        std::string body;
        int status = 0;  ///< what the receiver answered
    };
    /// Decides the answer to one request: status and body.
    using Responder = std::function<std::pair<int, std::string>(const Request&)>;

    WebhookReceiver();
    ~WebhookReceiver();
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    /// Listen on 127.0.0.1:`port` (0: any free port) until stop(); returns the port.
    int start(int port = 0);
    /// Stop listening (the port is free afterwards).
    void stop();
    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/posts"; }

    void set_responder(Responder responder);
    /// The next `count` requests are answered only after `delay` (a receiver that hangs).
    void delay_next(int count, std::chrono::milliseconds delay);
    std::vector<Request> requests() const;
    /// Idempotency keys of requests answered 2xx (with repeats).
    std::vector<std::string> accepted_keys() const;
    std::size_t count_status(int status) const;

private:
    mutable std::mutex mutex_;
    Responder responder_;
    std::atomic<int> delayed_left_{0};
    std::atomic<std::int64_t> delay_ms_{0};
    std::vector<Request> requests_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
};

}  // namespace fanout::test
