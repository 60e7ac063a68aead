#pragma once
// The notifier scenario's webhook receiver.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include <httplib.h>

namespace fanout::bench {

/// Answers 200 to every POST on 127.0.0.1, inside this driver, until
/// destroyed (neither copied nor moved: its server thread points at it).
class WebhookSink {
public:
    WebhookSink();
    ~WebhookSink();

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/notifications"; }
    std::uint64_t received() const { return received_.load(); }

private:
    httplib::Server server_;
    std::atomic<std::uint64_t> received_{0};
    int port_ = -1;
    std::thread thread_;
};

}  // namespace fanout::bench
