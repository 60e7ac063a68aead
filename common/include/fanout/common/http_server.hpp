#pragma once
// The parts of a Boost.Beast HTTP/1.1 server that post-command, post-query and
// fanoutd's admin endpoint share (library fanout_common_http): binding the
// listening socket, running the I/O threads, refusing a connection over the
// limit, the set of open connections for a graceful stop, and a connection's
// answer, close and lingering close.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace fanout::common::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Response = bhttp::response<bhttp::string_body>;

inline constexpr auto k_write_timeout = std::chrono::seconds(30);
inline constexpr auto k_linger_timeout = std::chrono::seconds(2);

inline std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

/// True for an error of the HTTP parser (a malformed request), false for the
/// socket's (closed, reset, timed out, shut down).
bool is_http_error(const beast::error_code& ec);

/// The passive endpoint for `host` and the numeric `port`; nothing, with
/// `ec` set when there is a reason, when it does not resolve.
std::optional<tcp::endpoint> resolve_listen(net::io_context& ioc, const std::string& host, const std::string& port,
                                            beast::error_code& ec);

/// Opens `acceptor` on `endpoint` and listens; on failure sets `ec` and
/// closes it. SO_REUSEADDR only: SO_REUSEPORT would let a second instance
/// bind the same port and silently take half the traffic.
void listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, beast::error_code& ec);

/// Runs `ioc` on this thread until `ioc.stop()`, also while nothing is
/// pending (a server stops it explicitly); an exception escaping a handler
/// is logged as `<what>: <error>` and the thread serves on.
void run_io(net::io_context& ioc, std::string_view what);

/// Sends `answer` (a whole HTTP response) on a freshly accepted `socket`
/// without waiting (its empty send buffer takes it) and closes it: a
/// connection over the limit is refused while the open ones keep their service.
void refuse_connection(tcp::socket& socket, const std::string& answer);

/// The open connections of a server, for a graceful stop. `Connection` has
/// `executor()` and `stop_if_idle()` (BasicConnection below).
template <class Connection>
class ConnectionSet {
public:
    /// Registers `connection` unless `limit` are open already.
    bool add(const std::shared_ptr<Connection>& connection,
             std::size_t limit = std::numeric_limits<std::size_t>::max()) {
        const std::lock_guard lock(mutex_);
        if (open_.size() >= limit) return false;
        open_.emplace(connection.get(), connection);
        return true;
    }

    /// From the connection's destructor.
    void remove(Connection* connection) {
        const std::lock_guard lock(mutex_);
        open_.erase(connection);
        if (open_.empty()) drained_.notify_all();
    }

    /// Tells every open connection to stop (an idle one closes at once, a busy
    /// one after its answer) and waits at most `grace` for all of them to
    /// close. Returns how many are still open.
    std::size_t stop_all(std::chrono::milliseconds grace) {
        std::vector<std::shared_ptr<Connection>> live;
        {
            const std::lock_guard lock(mutex_);
            for (const auto& [raw, weak] : open_) {
                if (auto c = weak.lock()) live.push_back(std::move(c));
            }
        }
        for (auto& c : live) net::post(c->executor(), [c] { c->stop_if_idle(); });
        live.clear();
        std::unique_lock lock(mutex_);
        drained_.wait_for(lock, grace, [this] { return open_.empty(); });
        return open_.size();
    }

private:
    std::mutex mutex_;
    std::condition_variable drained_;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> open_;
};

/// A server connection's answering half, on the connection's strand: one
/// response at a time, then the next request, a close, or a lingering close.
/// `Derived` provides `read_next()` (await the next request of a kept-alive
/// connection) and `error_response(status)` (the server's own error answers).
template <class Derived>
class BasicConnection : public std::enable_shared_from_this<Derived> {
public:
    net::any_io_executor executor() { return stream_.get_executor(); }

    /// Shutting down: an idle connection closes now, a busy one after its answer.
    void stop_if_idle() {
        closing_ = true;
        if (!busy_) close();
    }

protected:
    explicit BasicConnection(tcp::socket&& socket) : stream_(std::move(socket)) {}

    /// A request could not be read: answer 413, 431 or 400 as it deserves, or
    /// close a connection that was closed, reset or timed out.
    void on_read_error(const beast::error_code& ec) {
        if (ec == bhttp::error::body_limit) return reject(413);
        if (ec == bhttp::error::header_limit) return reject(431);
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || !is_http_error(ec)) {
            return close();
        }
        reject(400);  // not HTTP/1.x: a bad request line, header or chunk
    }

    /// Answer `status` to a request that cannot be read, then close.
    void reject(int status) {
        busy_ = true;
        Response response = derived().error_response(status);
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
                           [self = this->shared_from_this(), close, linger](beast::error_code ec, std::size_t) {
                               self->on_write(ec, close, linger);
                           });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bool busy_ = false;     // a request is being handled or answered
    bool writing_ = false;  // its answer is being written
    bool closing_ = false;  // the server stops: close after this answer

private:
    Derived& derived() { return static_cast<Derived&>(*this); }

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
        derived().read_next();
    }

    // After refusing a request whose body may still be arriving: stop sending,
    // read and drop what the client still sends (for a short while), so that
    // closing does not reset the connection before the client read the answer.
    void start_linger() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(k_linger_timeout);
        buffer_.clear();
        linger_read();
    }

    void linger_read() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec) return self->close();
                                    self->linger_read();
                                });
    }

    Response response_;  // alive while it is written
    std::array<char, 4096> scratch_{};
};

}  // namespace fanout::common::http
