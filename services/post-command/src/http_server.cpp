#include "http_server.hpp"

#include <array>
#include <optional>
#include <stdexcept>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "fanout/common/http_server.hpp"
#include "fanout/common/shutdown_watch.hpp"
#include "fanout/common/text.hpp"
#include "log.hpp"

namespace fanout::post_command::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using common::http::k_write_timeout;
using common::http::view;

namespace {

constexpr std::size_t k_header_limit = 16 * 1024;
constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";

/// The path of a request target, percent-decoded, without the query.
std::string decoded_path(std::string_view target) {
    return common::percent_decode_lenient(target.substr(0, target.find('?')));
}

}  // namespace

struct Server::Core {
    Core(ServerOptions o, Router r, ErrorResponse e)
        : options(std::move(o)), router(std::move(r)), error_response(std::move(e)) {}

    void accept();

    // Declared before the io_context: handlers still queued in it when it is
    // destroyed hold connections, whose destructors use these.
    ServerOptions options;
    Router router;
    ErrorResponse error_response;
    common::http::ConnectionSet<Connection> connections;
    std::atomic<bool> stopping{false};
    std::atomic<bool> halted{false};  ///< the I/O threads are gone: post nothing more
    net::io_context ioc;
    tcp::acceptor acceptor{net::make_strand(ioc)};
};

/// One client connection: read a request, hand it to its handler, write the
/// answer the handler gives (from any thread), repeat while kept alive.
class Connection : public common::http::BasicConnection<Connection> {
public:
    Connection(tcp::socket&& socket, Server::Core& core) : BasicConnection(std::move(socket)), core_(core) {}
    ~Connection() { core_.connections.remove(this); }

    void start() {
        core_.connections.add(shared_from_this());
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Connection::read_header, shared_from_this()));
    }

    Server::Core& core() { return core_; }

    /// On the connection's strand.
    void respond(Response response) {
        if (!busy_ || writing_) return;
        const bool close = !keep_alive_ || closing_ || core_.stopping;
        response.version(version_);
        response.keep_alive(!close);
        response.prepare_payload();
        if (head_) response.body().clear();  // Content-Length stays the GET answer's
        write(std::move(response), close, false);
    }

    // For BasicConnection.
    void read_next() { read_header(); }
    Response error_response(int status) { return core_.error_response(status); }

private:
    void read_header() {
        if (closing_ || core_.stopping) return close();
        parser_.emplace();
        parser_->body_limit(core_.options.max_body_bytes);
        parser_->header_limit(k_header_limit);
        stream_.expires_after(core_.options.keep_alive_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Connection::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        if (const auto length = parser_->content_length(); length && *length > core_.options.max_body_bytes) {
            return reject(413);
        }
        if (parser_->is_done()) return dispatch();
        if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
            // The client waits for this before sending its body (curl does for bodies over 1 KiB).
            stream_.expires_after(k_write_timeout);
            net::async_write(stream_, net::buffer(k_continue.data(), k_continue.size()),
                             [self = shared_from_this()](beast::error_code e, std::size_t) {
                                 if (e) return self->close();
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    void read_body() {
        stream_.expires_after(core_.options.keep_alive_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Connection::on_body, shared_from_this()));
    }

    void on_body(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        dispatch();
    }

    void dispatch() {
        busy_ = true;
        stream_.expires_never();  // the command's time is the store's, not the client's
        const Request& request = parser_->get();
        keep_alive_ = request.keep_alive();
        version_ = request.version();
        const std::string path = decoded_path(view(request.target()));
        std::string param;
        // HEAD is GET without the body (RFC 9110 9.3.2).
        head_ = request.method() == bhttp::verb::head;
        const Handler* handler = core_.router.find(head_ ? "GET" : view(request.method_string()), path, param);
        Responder respond(shared_from_this());
        if (!handler) return respond(core_.error_response(404));
        try {
            (*handler)(request, param, respond);
        } catch (const std::exception& e) {
            log().error("{} {} failed: {}", std::string(request.method_string()), path, e.what());
            if (!respond.answered()) respond(core_.error_response(503));
        }
    }

    Server::Core& core_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool head_ = false;  // the request being answered is a HEAD
};

// ---- Responder ----

struct Responder::State {
    explicit State(std::shared_ptr<Connection> c) : connection(std::move(c)) {}
    ~State() {
        if (!answered.exchange(true) && !connection->core().halted) {
            Response response = connection->core().error_response(503);
            net::post(connection->executor(),
                      [c = connection, r = std::move(response)]() mutable { c->respond(std::move(r)); });
        }
    }
    std::shared_ptr<Connection> connection;
    std::atomic<bool> answered{false};
};

Responder::Responder(std::shared_ptr<Connection> connection) : state_(std::make_shared<State>(std::move(connection))) {}

void Responder::operator()(Response response) const {
    if (state_->answered.exchange(true)) return;
    if (state_->connection->core().halted) return;
    net::post(state_->connection->executor(),
              [c = state_->connection, r = std::move(response)]() mutable { c->respond(std::move(r)); });
}

bool Responder::answered() const { return state_->answered; }

// ---- Router ----

void Router::exact(std::string method, std::string path, Handler handler) {
    exact_.emplace(method + " " + path, std::move(handler));
}

void Router::prefix(std::string method, std::string prefix, Handler handler) {
    prefixes_.push_back({std::move(method), std::move(prefix), std::move(handler)});
}

const Handler* Router::find(std::string_view method, const std::string& path, std::string& param) const {
    std::string key;
    key.reserve(method.size() + 1 + path.size());
    key.append(method).append(" ").append(path);
    if (const auto it = exact_.find(key); it != exact_.end()) {
        param.clear();
        return &it->second;
    }
    for (const PrefixRoute& route : prefixes_) {
        if (route.method == method && path.compare(0, route.prefix.size(), route.prefix) == 0) {
            param = path.substr(route.prefix.size());
            return &route.handler;
        }
    }
    return nullptr;
}

// ---- Server ----

void Server::Core::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec && !stopping) {
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::make_shared<Connection>(std::move(socket), *this)->start();
        } else if (ec) {
            log().warn("accept failed: {}", ec.message());
        }
        accept();
    });
}

Server::Server(ServerOptions options, Router router, ErrorResponse error_response)
    : core_(std::make_unique<Core>(std::move(options), std::move(router), std::move(error_response))) {}

Server::~Server() {
    if (stopped_) return;
    common::ShutdownWatch watch;
    stop(std::chrono::milliseconds(0), watch);
}

int Server::bind() {
    const ServerOptions& o = core_->options;
    beast::error_code ec;
    const auto address = net::ip::make_address(o.address, ec);
    if (ec) throw std::runtime_error("cannot listen on " + o.address + ": not an IP address");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
    common::http::listen_on(core_->acceptor, endpoint, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + o.address + ":" + std::to_string(o.port) + ": " + ec.message());
    }
    return core_->acceptor.local_endpoint().port();
}

void Server::start() {
    if (started_) return;
    started_ = true;
    core_->accept();
    for (int i = 0; i < std::max(1, core_->options.threads); ++i) {
        threads_.emplace_back(
            [core = core_.get()] { common::http::run_io(core->ioc, "http: unexpected error on an I/O thread"); });
    }
}

void Server::stop(std::chrono::milliseconds grace, common::ShutdownWatch& watch) {
    if (stopped_) return;
    stopped_ = true;
    Core& core = *core_;
    core.stopping = true;
    if (started_) {
        watch.step("HTTP: closing idle connections, answering the requests in progress");
        net::post(core.acceptor.get_executor(), [&core] {
            beast::error_code ignored;
            core.acceptor.close(ignored);
        });
        if (const std::size_t busy = core.connections.stop_all(grace); busy > 0) {
            log().warn("http: {} connection(s) still busy after {} ms; closing them", busy, grace.count());
        }
    }
    watch.step("HTTP: stopping the I/O threads");
    core.ioc.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    core.halted = true;
}

}  // namespace fanout::post_command::http
