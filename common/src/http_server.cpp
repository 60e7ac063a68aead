#include "fanout/common/http_server.hpp"

#include <sys/socket.h>

#include <exception>

#include <boost/asio/executor_work_guard.hpp>

#include "fanout/common/log.hpp"

namespace fanout::common::http {

bool is_http_error(const beast::error_code& ec) {
    return &ec.category() == &bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

std::optional<tcp::endpoint> resolve_listen(net::io_context& ioc, const std::string& host, const std::string& port,
                                            beast::error_code& ec) {
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) return std::nullopt;
    return results.begin()->endpoint();
}

void listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, beast::error_code& ec) {
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        beast::error_code ignored;
        acceptor.close(ignored);
    }
}

void run_io(net::io_context& ioc, std::string_view what) {
    // Without work of its own, run() returns as soon as nothing is pending,
    // and the io_context counts as stopped: a handler posted after that (a
    // graceful stop's "close if idle", holding its connection) never runs.
    const auto work = net::make_work_guard(ioc);
    for (;;) {
        try {
            ioc.run();
            return;
        } catch (const std::exception& e) {
            log().error("{}: {}", what, e.what());
        }
    }
}

void refuse_connection(tcp::socket& socket, const std::string& answer) {
    [[maybe_unused]] const auto sent =
        ::send(socket.native_handle(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

}  // namespace fanout::common::http
