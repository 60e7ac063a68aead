// fanoutd's admin HTTP under clients that hold connections: a thousand idle
// or half-open connections, and a header sent one byte at a time, never keep
// /healthz from answering at once.
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../post_query/raw_http.hpp"
#include "harness.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(AdminServer, IdleAndSlowConnectionsNeverDelayAProbe) {
    ASSERT_GE(raise_open_file_limit(1'200), 1'100);
    const std::string topic = unique_name("posts"), prefix = unique_name("g");
    KafkaAdmin kafka;
    kafka.create_topic(topic, 1);
    TempDir dir;
    std::string yaml = make_config(
        prefix, unique_name("dlq"), topic,
        {{"scripted", "libfanout_test_scripted.so", "      record_path: " + (dir / "record").string() + "\n"}});
    yaml = with_admin(yaml);
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return admin_port(fanoutd) > 0; }, 30s)) << fanoutd.log();
    const int port = admin_port(fanoutd);

    std::vector<RawConnection> held;
    for (int i = 0; i < 1'000; ++i) {
        RawConnection c(port);
        ASSERT_TRUE(c.connected()) << i;
        if (i % 2 == 1) {
            ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n"));  // a header never finished
        }
        held.push_back(std::move(c));
    }
    const auto probe = [&] {
        RawConnection c(port);
        const auto begin = Clock::now();
        if (!c.send("GET /plugins HTTP/1.1\r\nHost: t\r\n\r\n")) return std::make_pair(-1, 10'000ms);
        const int status = status_of(c.read_response(10s));
        return std::make_pair(status, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin));
    };
    const auto [status, took] = probe();
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, 2s) << "a probe waited behind idle connections";

    // A header trickled one byte every 50 ms is cut off (5 s to send a request).
    RawConnection slow(port);
    const auto begin = Clock::now();
    bool cut = false;
    for (const char byte : "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(1'000, 'a')) {
        if (!slow.send(std::string(1, byte)) || slow.wait_closed(50ms)) {
            cut = true;
            break;
        }
        if (Clock::now() - begin > 20s) break;
    }
    EXPECT_TRUE(cut);
    EXPECT_LT(Clock::now() - begin, 12s);
    EXPECT_EQ(probe().first, 200);
    fanoutd.signal(SIGKILL);
}

}  // namespace
}  // namespace fanout::test
