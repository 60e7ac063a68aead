// post-query under clients that hold connections or lie: idle and half-open
// connections never delay the others, a header trickled one byte at a time is
// cut off, connections past max_connections get 503, and bodies over 64 KiB
// (announced, chunked, or a Content-Length never sent) never get a 200.
#include <chrono>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "raw_http.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* k_get_health = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
constexpr const char* k_get_all = "GET /api/v1/postLookup/ HTTP/1.1\r\nHost: t\r\n\r\n";

class PostQueryHttpLimits : public ::testing::Test {
protected:
    void start(std::vector<std::string> extra = {}) {
        db_ = std::make_unique<ReadModelDb>(TestBackend::sqlite, dir_.path());
        db_->migrate();
        process_ = std::make_unique<PostQueryProcess>(serve_args(db_->connection(), std::move(extra)),
                                                      dir_ / "post-query.log");
        ASSERT_TRUE(process_->start());
    }

    /// One request on a fresh connection; the response and its duration.
    std::string ask(const std::string& request, std::chrono::milliseconds* took = nullptr) {
        const auto begin = Clock::now();
        RawConnection c(process_->port());
        if (!c.connected() || !c.send(request)) return "";
        std::string response = c.read_response(10s);
        if (took) *took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
        return response;
    }

    TempDir dir_;
    std::unique_ptr<ReadModelDb> db_;
    std::unique_ptr<PostQueryProcess> process_;
};

TEST_F(PostQueryHttpLimits, AThousandIdleAndHalfOpenConnectionsDoNotDelayARequest) {
    ASSERT_GE(raise_open_file_limit(1'200), 1'100) << "the test needs ~1,100 descriptors";
    start();
    std::vector<RawConnection> idle;
    idle.reserve(1'000);
    for (int i = 0; i < 1'000; ++i) {
        RawConnection c(process_->port());
        ASSERT_TRUE(c.connected()) << "connection " << i;
        // Half of them start a request and never finish its header.
        if (i % 2 == 1) {
            ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n"));
        }
        idle.push_back(std::move(c));
    }
    std::chrono::milliseconds took{};
    EXPECT_EQ(status_of(ask(k_get_health, &took)), 200);
    EXPECT_LT(took, 2s) << "a request waited behind idle connections";
    EXPECT_EQ(status_of(ask(k_get_all, &took)), 204);  // a database query too
    EXPECT_LT(took, 2s);
    // And the idle ones are still open: nothing was dropped to make room.
    EXPECT_FALSE(idle.front().wait_closed(0ms));
}

TEST_F(PostQueryHttpLimits, IdleConnectionsAreClosedAfterTheIdleTimeout) {
    start({"--idle-timeout-ms", "300"});
    RawConnection silent(process_->port());
    ASSERT_TRUE(silent.connected());
    const auto begin = Clock::now();
    EXPECT_TRUE(silent.wait_closed(10s));
    EXPECT_GE(Clock::now() - begin, 250ms);
    // A keep-alive connection idle after its answer too.
    RawConnection kept(process_->port());
    ASSERT_TRUE(kept.send(k_get_health));
    EXPECT_EQ(status_of(kept.read_response(10s)), 200);
    EXPECT_TRUE(kept.wait_closed(10s));
}

TEST_F(PostQueryHttpLimits, AHeaderSentOneByteAtATimeIsCutOffAtTheRequestTimeout) {
    start({"--request-timeout-ms", "1000"});
    RawConnection slow(process_->port());
    ASSERT_TRUE(slow.connected());
    const std::string header = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(10'000, 'a');
    const auto begin = Clock::now();
    bool cut = false;
    for (const char byte : header) {
        // A byte every 50 ms keeps any per-read timeout from ever firing.
        if (!slow.send(std::string(1, byte)) || slow.wait_closed(50ms)) {
            cut = true;
            break;
        }
        if (Clock::now() - begin > 15s) break;
    }
    const auto after = Clock::now() - begin;
    EXPECT_TRUE(cut) << "the slow header was never cut off";
    EXPECT_GE(after, 900ms);
    EXPECT_LT(after, 8s);
    EXPECT_EQ(status_of(ask(k_get_health)), 200);
}

TEST_F(PostQueryHttpLimits, ConnectionsOverTheLimitGetServiceUnavailableAndTheOthersKeepWorking) {
    start({"--max-connections", "20"});
    std::vector<RawConnection> held;
    for (int i = 0; i < 19; ++i) {
        held.emplace_back(process_->port());
        ASSERT_TRUE(held.back().connected());
    }
    // The 20th is served, even beside 19 idle ones; keep it open as the last slot.
    RawConnection last(process_->port());
    ASSERT_TRUE(last.send(k_get_health));
    EXPECT_EQ(status_of(last.read_response(10s)), 200);
    // The 21st is refused at once, with a JSON 503.
    RawConnection over(process_->port());
    ASSERT_TRUE(over.connected());
    const std::string refused = over.read_response(10s);
    EXPECT_EQ(status_of(refused), 503) << refused;
    EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
    // The connections inside the limit keep their service.
    ASSERT_TRUE(last.send(k_get_health));
    EXPECT_EQ(status_of(last.read_response(10s)), 200);
    // Closing some frees their slots.
    held.clear();
    const auto deadline = Clock::now() + 10s;
    int status = -1;
    while (Clock::now() < deadline && (status = status_of(ask(k_get_health))) != 200) {
        std::this_thread::sleep_for(20ms);  // the server notices the closes asynchronously
    }
    EXPECT_EQ(status, 200);
}

TEST_F(PostQueryHttpLimits, AGetWithATenMegabyteBodyIsRefusedWith413) {
    start();
    RawConnection c(process_->port());
    ASSERT_TRUE(c.send("GET /api/v1/postLookup/ HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n"));
    // The refusal comes from the announced length, before the body is sent.
    const std::string response = c.read_response(10s);
    EXPECT_EQ(status_of(response), 413) << response;
    EXPECT_NE(response.find("request body too large"), std::string::npos) << response;
    // Sending the body anyway gets nowhere and the connection closes.
    c.send(std::string(1 << 20, 'x'));
    EXPECT_TRUE(c.wait_closed(10s));
    EXPECT_EQ(status_of(ask(k_get_health)), 200);
}

TEST_F(PostQueryHttpLimits, AChunkedBodyOverTheLimitIsRefusedWith413) {
    start();
    RawConnection c(process_->port());
    ASSERT_TRUE(c.send("GET /api/v1/postLookup/ HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = std::string("4000\r\n") + std::string(0x4000, 'x') + "\r\n";  // 16 KiB
    std::string response;
    for (int i = 0; i < 640 && response.empty(); ++i) {  // up to 10 MB
        if (!c.send(chunk)) break;
        if (i % 4 == 3) response = c.read_response(i < 8 ? 50ms : 0ms);
    }
    if (response.empty()) response = c.read_response(10s);
    EXPECT_EQ(status_of(response), 413) << response;
    EXPECT_EQ(status_of(ask(k_get_health)), 200);
}

TEST_F(PostQueryHttpLimits, ABodyShorterThanItsContentLengthIsCutOffWithoutAnAnswer) {
    start({"--request-timeout-ms", "800"});
    RawConnection c(process_->port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nonly-this"));
    const auto begin = Clock::now();
    const std::string response = c.read_response(10s);
    EXPECT_EQ(response, "") << "answered a request whose body never arrived";
    EXPECT_GE(Clock::now() - begin, 600ms);
    EXPECT_TRUE(c.wait_closed(5s));
    EXPECT_EQ(status_of(ask(k_get_health)), 200);
}

TEST_F(PostQueryHttpLimits, ASmallBodyIsReadAndDroppedSoTheNextRequestOnTheConnectionIsIntact) {
    start();
    RawConnection c(process_->port());
    ASSERT_TRUE(
        c.send(std::string("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello") + k_get_health));
    EXPECT_EQ(status_of(c.read_response(10s)), 200);
    const std::string second = c.read_response(10s);
    EXPECT_EQ(status_of(second), 200) << second;
    // Chunked, within the limit.
    ASSERT_TRUE(
        c.send("GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(10s)), 200);
}

TEST_F(PostQueryHttpLimits, OversizedTargetsAndHeadersGetTheirOwnStatus) {
    start();
    EXPECT_EQ(status_of(ask("GET /" + std::string(9'000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n")), 414);
    EXPECT_EQ(status_of(ask("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n")),
              431);
    EXPECT_EQ(status_of(ask("NOT HTTP AT ALL\r\n\r\n")), 400);
}

}  // namespace
}  // namespace fanout::test
