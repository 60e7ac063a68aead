#include "http_server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "fanout/common/http_server.hpp"
#include "json_render.hpp"
#include "log.hpp"
#include "query_string.hpp"
#include "router.hpp"

namespace fanout::post_query {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using common::http::view;

namespace {

constexpr const char* k_json = "application/json; charset=utf-8";
constexpr std::size_t k_max_body = 64 * 1024;  // no route takes a body
constexpr std::size_t k_max_target = 8 * 1024;
constexpr std::size_t k_max_header = 16 * 1024;
constexpr auto k_stop_grace = std::chrono::seconds(5);
constexpr auto k_accept_backoff = std::chrono::milliseconds(100);

using Response = bhttp::response<bhttp::string_body>;

std::string default_message(int status) {
    switch (status) {
        case 400: return "malformed HTTP request";
        case 413: return "request body too large";
        case 414: return "request URI too long";
        case 431: return "request header too large";
        case 503: return "too many connections; retry later";
        default: return "request failed";
    }
}

Response json_response(int status, std::string body) {
    Response res;
    res.result(static_cast<unsigned>(status));
    res.version(11);
    if (!body.empty()) {
        res.set(bhttp::field::content_type, k_json);
        res.body() = std::move(body);
    }
    return res;
}

/// The whole answer to a connection over the limit, sent without waiting.
const std::string& over_limit_answer() {
    static const std::string answer = [] {
        const std::string body = render_message(default_message(503));
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + std::string(k_json) +
               "\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
    }();
    return answer;
}

}  // namespace

class Connection;

struct HttpServer::Core {
    Core(PostLookup& l, const ServerLimits& s) : lookup(l), limits(s) {}

    void accept();
    /// Register `connection` unless max_connections are open already.
    bool admit(const std::shared_ptr<Connection>& connection);
    /// Answer 503 to a connection over the limit and close it.
    void refuse(tcp::socket& socket);

    PostLookup& lookup;
    ServerLimits limits;
    common::http::ConnectionSet<Connection> connections;
    std::atomic<bool> stopping{false};
    std::atomic<bool> serving{false};
    std::atomic<std::uint64_t> refused{0};
    net::io_context ioc;
    tcp::acceptor acceptor{net::make_strand(ioc)};
    net::steady_timer accept_retry{acceptor.get_executor()};
};

/// One client connection: wait for a request, read it under the request
/// deadline, answer it, repeat while kept alive.
class Connection : public common::http::BasicConnection<Connection> {
public:
    Connection(tcp::socket&& socket, HttpServer::Core& core) : BasicConnection(std::move(socket)), core_(core) {}
    ~Connection() { core_.connections.remove(this); }

    void start() {
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Connection::wait_request, shared_from_this()));
    }

    tcp::socket& socket() { return stream_.socket(); }

    // For BasicConnection.
    void read_next() { wait_request(); }
    static Response error_response(int status) {
        return json_response(status, render_message(default_message(status)));
    }

private:
    // Idle: no request has begun. The first byte starts the request deadline.
    void wait_request() {
        if (closing_ || core_.stopping) return close();
        if (buffer_.size() > 0) return read_header();  // pipelined
        stream_.expires_after(core_.limits.idle_timeout);
        stream_.async_read_some(buffer_.prepare(4096),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) return self->close();  // idle timeout, peer closed, or shutdown
                                    self->buffer_.commit(n);
                                    self->read_header();
                                });
    }

    void read_header() {
        parser_.emplace();
        parser_->body_limit(k_max_body);
        parser_->header_limit(static_cast<std::uint32_t>(k_max_header));
        // One deadline for header and body together: trickling bytes never extends it.
        stream_.expires_after(core_.limits.request_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Connection::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        if (parser_->get().target().size() > k_max_target) return reject(414);
        if (const auto length = parser_->content_length(); length && *length > k_max_body) return reject(413);
        if (parser_->is_done()) return handle();
        bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, std::size_t) {
            if (e) return self->on_read_error(e);
            self->handle();
        });
    }

    void handle() {
        busy_ = true;
        stream_.expires_never();
        const auto& request = parser_->get();
        const std::string_view method = view(request.method_string());
        const std::string_view target = view(request.target());
        const bool head = request.method() == bhttp::verb::head;
        HttpReply reply;
        try {
            reply = core_.lookup.handle(match_route(method, target), parse_query_params(target));
        } catch (const std::exception& e) {
            log().error("unhandled exception in a request: {}", e.what());
            reply = HttpReply{500, render_message("internal error"), {}};
        }
        Response res = json_response(reply.status, std::move(reply.body));
        if (!reply.allow.empty()) res.set(bhttp::field::allow, reply.allow);
        if (log().should_log(spdlog::level::debug)) {
            beast::error_code ignored;
            const auto peer = stream_.socket().remote_endpoint(ignored);
            log().debug("request method={} target={} status={} bytes={} peer={}", method, target, reply.status,
                        res.body().size(), peer.address().to_string());
        }
        const bool close = !request.keep_alive() || closing_ || core_.stopping;
        res.version(request.version());
        res.keep_alive(!close);
        res.prepare_payload();
        if (head) res.body().clear();  // Content-Length stays the GET answer's
        write(std::move(res), close, false);
    }

    HttpServer::Core& core_;
};

bool HttpServer::Core::admit(const std::shared_ptr<Connection>& connection) {
    return connections.add(connection, static_cast<std::size_t>(limits.max_connections));
}

void HttpServer::Core::refuse(tcp::socket& socket) {
    // Answer at once without waiting (a fresh socket's send buffer takes it)
    // and close; the connections already open keep their service.
    common::http::refuse_connection(socket, over_limit_answer());
    const std::uint64_t n = ++refused;
    if ((n & (n - 1)) == 0) {  // 1, 2, 4, 8, ...: visible without flooding the log
        log().warn("connection refused: max_connections={} reached; refused so far: {}", limits.max_connections, n);
    }
}

void HttpServer::Core::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open() || stopping) return;
        if (ec) {
            // EMFILE and friends: the pending connection stays queued; retry
            // shortly instead of spinning on the same error.
            log().warn("accept failed: {}; retrying in {} ms", ec.message(), k_accept_backoff.count());
            accept_retry.expires_after(k_accept_backoff);
            accept_retry.async_wait([this](beast::error_code e) {
                if (!e) accept();
            });
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto connection = std::make_shared<Connection>(std::move(socket), *this);
        if (admit(connection)) {
            connection->start();
        } else {
            refuse(connection->socket());
        }
        accept();
    });
}

HttpServer::HttpServer(PostLookup& lookup, const ServerLimits& limits)
    : core_(std::make_unique<Core>(lookup, limits)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind(const ListenAddress& address) {
    Core& core = *core_;
    beast::error_code ec;
    const auto endpoint = common::http::resolve_listen(core.ioc, address.host, std::to_string(address.port), ec);
    if (endpoint) common::http::listen_on(core.acceptor, *endpoint, ec);
    if (!endpoint || ec) {
        throw std::runtime_error("cannot listen on " + address.host + ":" + std::to_string(address.port) + ": " +
                                 (ec ? ec.message() : "no address"));
    }
    return core.acceptor.local_endpoint().port();
}

void HttpServer::run() {
    Core& core = *core_;
    core.serving = true;
    net::post(core.acceptor.get_executor(), [&core] { core.accept(); });
    const auto serve = [&core] { common::http::run_io(core.ioc, "unexpected error on an HTTP thread"); };
    std::vector<std::thread> threads;
    for (int i = 1; i < core.limits.threads; ++i) threads.emplace_back(serve);
    serve();
    for (auto& t : threads) t.join();
    core.serving = false;
}

void HttpServer::stop() {
    Core& core = *core_;
    if (core.stopping.exchange(true)) return;
    net::post(core.acceptor.get_executor(), [&core] {
        beast::error_code ignored;
        core.acceptor.close(ignored);
        core.accept_retry.cancel();
    });
    if (const std::size_t busy = core.connections.stop_all(k_stop_grace); busy > 0) {
        log().warn("{} connection(s) still busy after {} s; closing them", busy, k_stop_grace.count());
    }
    core.ioc.stop();
}

bool HttpServer::running() const { return core_->serving && !core_->stopping; }

}  // namespace fanout::post_query
