#include "load_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace fanout::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
    int fd = -1;
    int request = -1;  // in flight, or -1
    std::string out;
    std::size_t sent = 0;
    std::string in;
    Clock::time_point started;
};

int open_connection(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const std::string error = std::strerror(errno);
        ::close(fd);
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + error);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/// Write what is left of the request; false when the socket would block.
bool flush(Connection& c) {
    while (c.sent < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
            throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        }
        c.sent += static_cast<std::size_t>(n);
    }
    return true;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    }
    return true;
}

/// A whole response at the start of `in`: its size, status and body.
struct Parsed {
    std::size_t size = 0;  // 0: incomplete
    int status = 0;
    std::string_view body;
};

Parsed parse_response(const std::string& in) {
    const std::size_t end = in.find("\r\n\r\n");
    if (end == std::string::npos) return {};
    const std::string_view head(in.data(), end + 2);
    Parsed p;
    if (head.size() < 12) throw std::runtime_error("short response: " + std::string(head));
    p.status = std::atoi(head.data() + 9);
    std::size_t length = 0;
    for (std::size_t line = head.find("\r\n") + 2; line < head.size();) {
        const std::size_t next = head.find("\r\n", line);
        const std::string_view field = head.substr(line, next - line);
        if (iequals_prefix(field, "content-length:")) length = std::strtoull(field.data() + 15, nullptr, 10);
        line = next + 2;
    }
    if (in.size() < end + 4 + length) return {};
    p.size = end + 4 + length;
    p.body = std::string_view(in.data() + end + 4, length);
    return p;
}

}  // namespace

std::string http_request(std::string_view method, std::string_view path, std::string_view body) {
    std::string r;
    r.reserve(160 + path.size() + body.size());
    r.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
    r.append("\r\n\r\n").append(body);
    return r;
}

LoadResult run_load(int port, int connections, int requests, const std::function<std::string(int)>& make,
                    const std::function<bool(int, int, std::string_view)>& check) {
    LoadResult result;
    result.latencies_ms.reserve(static_cast<std::size_t>(requests));
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    std::vector<Connection> conns(static_cast<std::size_t>(std::max(1, connections)));
    int next = 0, completed = 0;

    const auto begin = [&](Connection& c) {
        if (next >= requests) return;
        c.request = next++;
        c.out = make(c.request);
        c.sent = 0;
        c.started = Clock::now();
        epoll_event ev{};
        ev.data.ptr = &c;
        ev.events = flush(c) ? EPOLLIN : (EPOLLIN | EPOLLOUT);
        ::epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &ev);
    };

    const auto start = Clock::now();
    try {
        for (Connection& c : conns) {
            c.fd = open_connection(port);
            epoll_event ev{};
            ev.data.ptr = &c;
            ev.events = EPOLLIN;
            if (::epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
                throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
            }
        }
        for (Connection& c : conns) begin(c);
        std::vector<epoll_event> events(conns.size());
        char buffer[16384];
        while (completed < requests) {
            const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 30'000);
            if (n == 0) throw std::runtime_error("no response for 30 s");
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
            }
            for (int e = 0; e < n; ++e) {
                Connection& c = *static_cast<Connection*>(events[e].data.ptr);
                if (events[e].events & EPOLLOUT) {
                    if (flush(c)) {
                        epoll_event ev{};
                        ev.data.ptr = &c;
                        ev.events = EPOLLIN;
                        ::epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &ev);
                    }
                }
                if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
                for (;;) {
                    const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
                    if (got > 0) {
                        c.in.append(buffer, static_cast<std::size_t>(got));
                        continue;
                    }
                    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                    throw std::runtime_error(got == 0 ? "the service closed a connection"
                                                      : std::string("recv: ") + std::strerror(errno));
                }
                while (c.request >= 0) {
                    const Parsed p = parse_response(c.in);
                    if (p.size == 0) break;
                    result.latencies_ms.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - c.started).count());
                    if (!check(c.request, p.status, p.body)) ++result.errors;
                    c.in.erase(0, p.size);
                    c.request = -1;
                    ++completed;
                    begin(c);
                }
            }
        }
    } catch (...) {
        for (Connection& c : conns) {
            if (c.fd >= 0) ::close(c.fd);
        }
        ::close(epoll);
        throw;
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (Connection& c : conns) ::close(c.fd);
    ::close(epoll);
    return result;
}

}  // namespace fanout::bench
