#pragma once
// The Command API's HTTP/1.1 server: Boost.Beast on a few asio I/O threads.
//
// Handlers never block an I/O thread: a handler gets the request and a
// Responder, and answers whenever its command is decided and committed, from
// any thread. While a command waits for its group commit the connection costs
// no thread, so many keep-alive clients need no thread each, and one
// response is one gathering write (headers and body together).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace fanout::common {
class ShutdownWatch;
}

namespace fanout::post_command::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

class Connection;

/// Sends the one response to a request. Copyable (all copies share one
/// answer), callable from any thread; the first call wins, later ones are
/// ignored. If every copy is dropped unanswered, the client gets a 503.
class Responder {
public:
    explicit Responder(std::shared_ptr<Connection> connection);
    void operator()(Response response) const;
    bool answered() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

/// `param`: the percent-decoded rest of the path after a prefix route's
/// prefix (empty for exact routes).
using Handler = std::function<void(const Request& request, const std::string& param, Responder respond)>;

/// Exact and prefix routes per method. Unknown path or method: the server's
/// error response (404).
class Router {
public:
    void exact(std::string method, std::string path, Handler handler);
    void prefix(std::string method, std::string prefix, Handler handler);

    /// The handler for `method` `path` (decoded, no query), or null.
    const Handler* find(std::string_view method, const std::string& path, std::string& param) const;

private:
    struct PrefixRoute {
        std::string method, prefix;
        Handler handler;
    };
    std::unordered_map<std::string, Handler> exact_;  // "METHOD path"
    std::vector<PrefixRoute> prefixes_;
};

struct ServerOptions {
    std::string address = "127.0.0.1";
    int port = 0;     ///< 0: any free port
    int threads = 2;  ///< I/O threads
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::seconds keep_alive_timeout{5};  ///< idle connection, and a slow request's reads
};

/// A response with the given status, for the server's own errors (unknown
/// route 404, body too large 413, malformed request 400, ...).
using ErrorResponse = std::function<Response(int status)>;

class Server {
public:
    Server(ServerOptions options, Router router, ErrorResponse error_response);
    ~Server();

    /// Bind and listen; returns the port (the chosen one for port 0). Throws
    /// std::runtime_error when the address cannot be bound.
    int bind();
    /// Start accepting on the I/O threads.
    void start();
    /// Stop accepting, close idle connections, let the requests in progress
    /// be answered (then close their connections), wait at most `grace` for
    /// them, stop the threads. Idempotent.
    /// `watch` names each step of the stop.
    void stop(std::chrono::milliseconds grace, common::ShutdownWatch& watch);

    // For connections.
    struct Core;

private:
    std::unique_ptr<Core> core_;
    std::vector<std::thread> threads_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace fanout::post_command::http
