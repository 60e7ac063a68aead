#pragma once
// The Query API's HTTP/1.1 server: Boost.Beast on `threads` I/O threads.
//
// A connection holds no thread while it waits: idle keep-alive and half-open
// connections, and clients that send slowly, cost a socket and a few KiB,
// never a worker. Every request runs PostLookup on an I/O thread (its
// database time is bounded by the session wait and the statement timeout).
// Limits (ServerLimits; the flags and YAML keys are in config.hpp):
//   - at most `max_connections` open at once; one more is answered 503 and
//     closed at once (the others keep being served);
//   - a connection waits at most `idle_timeout` for the first byte of a
//     request (a new connection too), then is closed;
//   - from its first byte, a request's header and body must arrive within
//     `request_timeout` (a slowloris is cut off there), else it is closed;
//   - header 16 KiB (431), request-target 8 KiB (414), body 64 KiB (413, also
//     for chunked bodies and for a Content-Length announced over the limit).
// Whatever the server answers by itself gets a JSON body, like the routes.
#include <chrono>
#include <memory>

#include "config.hpp"
#include "post_lookup.hpp"

namespace fanout::post_query {

struct ServerLimits {
    int threads = 8;
    int max_connections = 4096;
    std::chrono::milliseconds idle_timeout{5'000};
    std::chrono::milliseconds request_timeout{10'000};
};

class HttpServer {
public:
    HttpServer(PostLookup& lookup, const ServerLimits& limits);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Bind the listening socket; returns the bound port (useful with port 0).
    /// Throws std::runtime_error.
    int bind(const ListenAddress& address);
    /// Serve on `threads` threads (this one included) until stop(); call
    /// after bind(), from one thread.
    void run();
    /// Stop accepting, close idle connections, let requests in progress be
    /// answered (at most a few seconds), then make run() return. Any thread,
    /// repeatable.
    void stop();
    bool running() const;

    struct Core;

private:
    std::unique_ptr<Core> core_;
};

}  // namespace fanout::post_query
