#pragma once
// Raw TCP/HTTP for tests that must misbehave on purpose: idle and half-open
// connections, a header sent one byte at a time, bodies that lie about their
// length. Blocking sockets to 127.0.0.1 with deadlines on every wait.
#include <chrono>
#include <string>
#include <string_view>

namespace fanout::test {

/// One client socket, closed at destruction.
class RawConnection {
public:
    /// Connect to 127.0.0.1:`port`; connected() says whether it worked.
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    RawConnection& operator=(RawConnection&&) = delete;

    bool connected() const { return fd_ >= 0; }
    /// Send all of `bytes`; false when the peer closed or reset.
    bool send(std::string_view bytes);
    /// Read one response: up to the end of its header plus Content-Length
    /// bytes, or until the peer closes, or `timeout`. What arrived ("" if none).
    std::string read_response(std::chrono::milliseconds timeout);
    /// Wait until the peer closes (EOF or reset), discarding what it sends;
    /// false when still open after `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
    std::string pending_;  // read past the previous response
};

/// The status code of a response ("HTTP/1.1 200 OK..."), or -1.
int status_of(const std::string& response);

/// Raise this process's open-file soft limit to at least `wanted` (up to the
/// hard limit); returns the limit now in force.
long raise_open_file_limit(long wanted);

}  // namespace fanout::test
