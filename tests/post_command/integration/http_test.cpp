// The Command API's HTTP server on the real binary, spoken to over raw
// sockets: pipelining, Expect: 100-continue, bodies over the limit (with and
// without Content-Length), malformed requests, more keep-alive connections
// than I/O threads, and a SIGTERM that does not wait for idle clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

/// A raw client connection with a receive deadline.
class RawConnection {
public:
    explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("cannot connect to port " + std::to_string(port));
        }
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    /// False when the peer reset the connection while sending.
    bool send(const std::string& data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Read until `in_` holds `text` or the peer closes or `timeout` passes.
    bool read_until(const std::string& text, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (in_.find(text) == std::string::npos) {
            if (!read_some(deadline)) return in_.find(text) != std::string::npos;
        }
        return true;
    }

    /// The next whole response (status and body), removed from the input.
    struct Response {
        int status = 0;
        std::string head, body;
    };
    Response next_response(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const std::size_t end = in_.find("\r\n\r\n");
            if (end != std::string::npos) {
                Response r;
                r.head = in_.substr(0, end + 2);
                r.status = std::atoi(r.head.c_str() + 9);
                std::size_t length = 0;
                const std::size_t at = lower(r.head).find("content-length:");
                if (at != std::string::npos) length = std::strtoull(r.head.c_str() + at + 15, nullptr, 10);
                if (in_.size() >= end + 4 + length) {
                    r.body = in_.substr(end + 4, length);
                    in_.erase(0, end + 4 + length);
                    return r;
                }
            }
            if (!read_some(deadline)) return {};
        }
    }

    /// True when the peer closed (EOF or reset) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!read_some(deadline)) return eof_;
        }
        return false;
    }

    const std::string& input() const { return in_; }

private:
    static std::string lower(std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buffer[8192];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        in_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    int fd_;
    std::string in_;
    bool eof_ = false;
};

std::string request(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& extra_headers = "") {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool json_with_message(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    return doc.IsObject() && doc.HasMember("message") && doc["message"].IsString() &&
           doc["message"].GetStringLength() > 0;
}

class PostCommandHttp : public ::testing::Test {
protected:
    void SetUp() override { port = service.start(); }
    ServiceUnderTest service{StoreKind::sqlite, with_yaml("http: {threads: 2, keep_alive_timeout_s: 60}\n")};
    int port = -1;
};

}  // namespace

TEST_F(PostCommandHttp, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
    const std::string id = service.client->new_post("alice", "pipelined");
    RawConnection c(port);
    std::string burst;
    for (int i = 0; i < 20; ++i) burst += request("PUT", "/api/v1/likePost/" + id);
    burst += request("PUT", "/api/v1/likePost/not-a-uuid");
    burst += request("GET", "/api/v1/restoreReadDb");
    ASSERT_TRUE(c.send(burst));
    for (int i = 0; i < 20; ++i) {
        const auto r = c.next_response();
        ASSERT_EQ(r.status, 200) << i << ": " << r.head << r.body;
        EXPECT_NE(r.head.find("ETag: \"" + std::to_string(i + 2) + "\""), std::string::npos)
            << "the answers come in request order: " << r.head;
    }
    EXPECT_EQ(c.next_response().status, 400);
    EXPECT_EQ(c.next_response().status, 200);
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 21);
}

TEST_F(PostCommandHttp, HeadIsGetWithoutTheBody) {
    RawConnection c(port);
    ASSERT_TRUE(c.send("HEAD /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n" + request("GET", "/api/v1/restoreReadDb")));
    ASSERT_TRUE(c.read_until("\r\n\r\n"));
    const std::size_t end = c.input().find("\r\n\r\n");
    const std::string head = c.input().substr(0, end + 4);
    EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
    EXPECT_EQ(head.find("Content-Length: 0"), std::string::npos) << "the GET answer's length: " << head;
    // The next bytes are the following answer, not a body.
    ASSERT_TRUE(c.read_until("\r\n\r\n" + std::string("HTTP/1.1 200"))) << c.input();
    EXPECT_EQ(c.input().find("HTTP/1.1 200", end + 4), end + 4) << c.input();
}

TEST_F(PostCommandHttp, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
    RawConnection c(port);
    const std::string body = R"({"author":"alice","message":"sent after 100 Continue"})";
    ASSERT_TRUE(
        c.send("POST /api/v1/newPost HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Expect: 100-continue\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n"));
    ASSERT_TRUE(c.read_until("\r\n\r\n", 5s)) << "no interim answer: " << c.input();
    EXPECT_EQ(c.input().rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << c.input();
    ASSERT_TRUE(c.send(body));
    (void)c.next_response();  // the 100 Continue
    const auto r = c.next_response();
    EXPECT_EQ(r.status, 201) << r.head << r.body;
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 1);
}

TEST_F(PostCommandHttp, OversizedBodiesAre413WithOrWithoutContentLengthAndTheAnswerArrives) {
    const std::string big(200 * 1024, 'x');
    {
        RawConnection c(port);
        c.send(request("POST", "/api/v1/newPost", big));  // the server may stop reading part-way
        const auto r = c.next_response();
        EXPECT_EQ(r.status, 413) << r.head;
        EXPECT_TRUE(json_with_message(r.body)) << r.body;
    }
    {
        RawConnection c(port);
        std::string chunked = "POST /api/v1/newPost HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 10; ++i) chunked += "5000\r\n" + std::string(0x5000, 'y') + "\r\n";
        chunked += "0\r\n\r\n";
        c.send(chunked);
        const auto r = c.next_response();
        EXPECT_EQ(r.status, 413) << r.head;
        EXPECT_TRUE(json_with_message(r.body)) << r.body;
    }
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 0);
    EXPECT_EQ(service.client->send("GET", "/api/v1/restoreReadDb").status, 200) << "the service carries on";
}

TEST_F(PostCommandHttp, MalformedRequestsAndHugeHeadersAreJsonClientErrors) {
    {
        RawConnection c(port);
        c.send("THIS IS NOT HTTP\r\n\r\n");
        const auto r = c.next_response();
        EXPECT_EQ(r.status, 400) << r.head;
        EXPECT_TRUE(json_with_message(r.body)) << r.body;
    }
    {
        RawConnection c(port);
        c.send("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(32 * 1024, 'h') + "\r\n\r\n");
        const auto r = c.next_response();
        EXPECT_EQ(r.status, 431) << r.head;
        EXPECT_TRUE(json_with_message(r.body)) << r.body;
    }
    {
        RawConnection c(port);
        c.send("POST /api/v1/newPost HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        const auto r = c.next_response();
        EXPECT_EQ(r.status, 400) << "a bad chunk size: " << r.head;
    }
    EXPECT_TRUE(service.process->running());
}

TEST_F(PostCommandHttp, ManyMoreKeepAliveConnectionsThanThreadsAreAllServed) {
    const std::string id = service.client->new_post("alice", "crowd");
    constexpr int k_connections = 100;  // the server has 2 I/O threads
    std::vector<std::unique_ptr<RawConnection>> connections;
    for (int i = 0; i < k_connections; ++i) connections.push_back(std::make_unique<RawConnection>(port));
    for (int round = 0; round < 3; ++round) {
        for (auto& c : connections) ASSERT_TRUE(c->send(request("PUT", "/api/v1/likePost/" + id)));
        for (auto& c : connections) ASSERT_EQ(c->next_response().status, 200);
    }
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events"), 1 + 3 * k_connections);
}

TEST_F(PostCommandHttp, SigtermClosesIdleKeepAliveConnectionsAndExitsWithoutWaitingForThem) {
    // keep_alive_timeout_s is 60: exiting promptly means the idle ones were closed, not timed out.
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 10; ++i) {
        idle.push_back(std::make_unique<RawConnection>(port));
        ASSERT_TRUE(idle.back()->send(request("GET", "/api/v1/restoreReadDb")));
        ASSERT_EQ(idle.back()->next_response().status, 200);
    }
    const auto start = std::chrono::steady_clock::now();
    service.process->signal(SIGTERM);
    EXPECT_EQ(service.process->wait_exit(30s), 0) << service.process->log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
    for (auto& c : idle) EXPECT_TRUE(c->closed_by_peer(5s));
}
