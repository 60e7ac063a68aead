#include "http_server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <httplib.h>

#include "json_render.hpp"
#include "log.hpp"
#include "router.hpp"

namespace fanout::post_query {
namespace {

constexpr const char* k_json = "application/json; charset=utf-8";
constexpr std::size_t k_max_body = 64 * 1024;  // no route takes a body

void apply(const HttpReply& reply, httplib::Response& res) {
    res.status = reply.status;
    if (!reply.allow.empty()) res.set_header("Allow", reply.allow);
    if (!reply.body.empty()) res.set_content(reply.body, k_json);
}

std::string default_message(int status) {
    switch (status) {
        case 400: return "malformed HTTP request";
        case 404: return "no such route";
        case 413: return "request body too large";
        case 414: return "request URI too long";
        case 416: return "range not satisfiable";
        default: return "request failed";
    }
}

}  // namespace

HttpServer::HttpServer(PostLookup& lookup, int threads)
    : lookup_(lookup), server_(std::make_unique<httplib::Server>()) {
    httplib::Server& s = *server_;
    const std::size_t workers = static_cast<std::size_t>(threads);
    s.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    s.set_payload_max_length(k_max_body);
    // httplib writes headers and body separately: without this, Nagle plus the
    // client's delayed ACK add ~40 ms to every keep-alive response.
    s.set_tcp_nodelay(true);
    // httplib's default adds SO_REUSEPORT, which lets a second instance bind
    // the same port and silently take half the traffic; a busy port must fail.
    s.set_socket_options([](socket_t sock) {
        const int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });

    const auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
        apply(lookup_.handle(match_route(req.method, req.target), req.params), res);
    };
    // Route on the raw target ourselves (see router.hpp): one catch-all per method.
    const std::string any = R"([\s\S]*)";
    s.Get(any, dispatch);
    s.Post(any, dispatch);
    s.Put(any, dispatch);
    s.Patch(any, dispatch);
    s.Delete(any, dispatch);
    s.Options(any, dispatch);

    // Called for every status >= 400; fill in only what httplib produced itself.
    s.set_error_handler(
        httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            if (res.status == 404 || res.status == 405) {
                // a method httplib has no handler list for (CONNECT, TRACE)
                apply(lookup_.handle(match_route(req.method, req.target), {}), res);
            } else {
                res.set_content(render_message(default_message(res.status)), k_json);
            }
            return httplib::Server::HandlerResponse::Handled;
        }));
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            log().error("unhandled exception in a request: {}", e.what());
        } catch (...) {
            log().error("unhandled non-standard exception in a request");
        }
        res.status = 500;
        res.set_content(render_message("internal error"), k_json);
    });
    s.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        if (log().should_log(spdlog::level::debug)) {
            log().debug("request method={} target={} status={} bytes={} peer={}", req.method, req.target, res.status,
                        res.body.size(), req.remote_addr);
        }
    });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const ListenAddress& address) {
    int port = address.port;
    bool ok = false;
    errno = 0;
    if (port == 0) {
        port = server_->bind_to_any_port(address.host);
        ok = port > 0;
    } else {
        ok = server_->bind_to_port(address.host, port);
    }
    if (!ok) {
        throw std::runtime_error("cannot listen on " + address.host + ":" + std::to_string(address.port) + ": " +
                                 (errno != 0 ? std::strerror(errno) : "bind failed"));
    }
    return port;
}

void HttpServer::run() { server_->listen_after_bind(); }

void HttpServer::stop() { server_->stop(); }

bool HttpServer::running() const { return server_->is_running(); }

}  // namespace fanout::post_query
