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

#include "fanout/common/text.hpp"
#include "log.hpp"

namespace fanout::post_command::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t k_header_limit = 16 * 1024;
constexpr auto k_write_timeout = std::chrono::seconds(30);
constexpr auto k_linger_timeout = std::chrono::seconds(2);
constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";

/// The path of a request target, percent-decoded, without the query.
std::string decoded_path(std::string_view target) {
    return common::percent_decode_lenient(target.substr(0, target.find('?')));
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

bool is_http_error(const beast::error_code& ec) {
    return &ec.category() == &bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

}  // namespace

struct Server::Core {
    Core(ServerOptions o, Router r, ErrorResponse e)
        : options(std::move(o)), router(std::move(r)), error_response(std::move(e)) {}

    void accept();
    void forget(Connection* connection) {
        std::lock_guard lock(mutex);
        connections.erase(connection);
        if (connections.empty()) drained.notify_all();
    }

    // Declared before the io_context: handlers still queued in it when it is
    // destroyed hold connections, whose destructors use these.
    ServerOptions options;
    Router router;
    ErrorResponse error_response;
    std::mutex mutex;
    std::condition_variable drained;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
    std::atomic<bool> stopping{false};
    std::atomic<bool> halted{false};  ///< the I/O threads are gone: post nothing more
    net::io_context ioc;
    tcp::acceptor acceptor{net::make_strand(ioc)};
};

/// One client connection: read a request, hand it to its handler, write the
/// answer the handler gives (from any thread), repeat while kept alive.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket&& socket, Server::Core& core) : stream_(std::move(socket)), core_(core) {}
    ~Connection() { core_.forget(this); }

    void start() {
        {
            std::lock_guard lock(core_.mutex);
            core_.connections.emplace(this, weak_from_this());
        }
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Connection::read_header, shared_from_this()));
    }

    net::any_io_executor executor() { return stream_.get_executor(); }
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

    /// On the connection's strand: shutting down. An idle connection closes
    /// now; a busy one after its answer.
    void stop_if_idle() {
        closing_ = true;
        if (!busy_) close();
    }

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

    void on_read_error(const beast::error_code& ec) {
        if (ec == bhttp::error::body_limit) return reject(413);
        if (ec == bhttp::error::header_limit) return reject(431);
        // A closed, reset or timed-out connection, or shutdown: nothing to answer.
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || !is_http_error(ec)) {
            return close();
        }
        reject(400);  // not HTTP/1.x: a bad request line, header or chunk
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

    /// Answer `status` to a request that cannot be read, then close.
    void reject(int status) {
        busy_ = true;
        head_ = false;
        Response response = core_.error_response(status);
        response.version(11);
        response.keep_alive(false);
        response.prepare_payload();
        write(std::move(response), true, true);
    }

    void write(Response response, bool close, bool linger) {
        writing_ = true;
        response_ = std::move(response);
        stream_.expires_after(k_write_timeout);
        bhttp::async_write(stream_, response_,
                           [self = shared_from_this(), close, linger](beast::error_code ec, std::size_t) {
                               self->on_write(ec, close, linger);
                           });
    }

    void on_write(beast::error_code ec, bool close, bool linger) {
        busy_ = false;
        writing_ = false;
        response_ = {};
        if (ec) return this->close();
        if (linger) return start_linger();
        if (close) {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return this->close();
        }
        read_header();
    }

    // After refusing a request whose body is still arriving: stop sending,
    // read and drop what the client still sends, so that closing does not
    // reset the connection before the client has read the answer.
    void start_linger() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(k_linger_timeout);
        buffer_.clear();
        linger_read();
    }

    void linger_read() {
        stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->linger_read();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    Server::Core& core_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Response response_;  // alive while it is written
    std::array<char, 4096> scratch_{};
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool head_ = false;     // the request being answered is a HEAD
    bool busy_ = false;     // a request is being handled or answered
    bool writing_ = false;  // its answer is being written
    bool closing_ = false;
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

Server::~Server() { stop(std::chrono::milliseconds(0)); }

int Server::bind() {
    const ServerOptions& o = core_->options;
    beast::error_code ec;
    const auto address = net::ip::make_address(o.address, ec);
    if (ec) throw std::runtime_error("cannot listen on " + o.address + ": not an IP address");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
    tcp::acceptor& a = core_->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + o.address + ":" + std::to_string(o.port) + ": " + ec.message());
    }
    return a.local_endpoint().port();
}

void Server::start() {
    if (started_) return;
    started_ = true;
    core_->accept();
    for (int i = 0; i < std::max(1, core_->options.threads); ++i) {
        threads_.emplace_back([core = core_.get()] {
            for (;;) {
                try {
                    core->ioc.run();
                    return;
                } catch (const std::exception& e) {
                    log().error("http: unexpected error on an I/O thread: {}", e.what());
                }
            }
        });
    }
}

void Server::stop(std::chrono::milliseconds grace) {
    if (stopped_) return;
    stopped_ = true;
    Core& core = *core_;
    core.stopping = true;
    if (started_) {
        net::post(core.acceptor.get_executor(), [&core] {
            beast::error_code ignored;
            core.acceptor.close(ignored);
        });
        std::vector<std::shared_ptr<Connection>> live;
        {
            std::lock_guard lock(core.mutex);
            for (const auto& [raw, weak] : core.connections) {
                if (auto c = weak.lock()) live.push_back(std::move(c));
            }
        }
        for (auto& c : live) net::post(c->executor(), [c] { c->stop_if_idle(); });
        live.clear();
        std::unique_lock lock(core.mutex);
        core.drained.wait_for(lock, grace, [&core] { return core.connections.empty(); });
        if (!core.connections.empty()) {
            log().warn("http: {} connection(s) still busy after {} ms; closing them", core.connections.size(),
                       grace.count());
        }
    }
    core.ioc.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    core.halted = true;
}

}  // namespace fanout::post_command::http
