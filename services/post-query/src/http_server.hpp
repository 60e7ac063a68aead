#pragma once
// cpp-httplib wiring: every method and path goes to PostLookup through the
// router; whatever httplib answers by itself (bad request line, URI too long,
// body too large) still gets a JSON body.
#include <memory>

#include "config.hpp"
#include "post_lookup.hpp"

namespace httplib {
class Server;
}

namespace fanout::post_query {

class HttpServer {
public:
    HttpServer(PostLookup& lookup, int threads);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Bind the listening socket; returns the bound port (useful with port 0).
    /// Throws std::runtime_error.
    int bind(const ListenAddress& address);
    /// Serve until stop(); call after bind(), from one thread.
    void run();
    /// Stop accepting and let the workers finish; any thread, repeatable.
    void stop();
    bool running() const;

private:
    PostLookup& lookup_;
    std::unique_ptr<httplib::Server> server_;
};

}  // namespace fanout::post_query
