// The shared HTTP server parts: the I/O threads serve until they are stopped.
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "fanout/common/http_server.hpp"

using namespace std::chrono_literals;
namespace net = boost::asio;

// A graceful stop closes the acceptor (the last pending operation) and then
// posts "close if idle" to each open connection; had the I/O threads left
// run() for lack of work in between, those handlers, each holding its
// connection, would never run and the stop would wait out its whole grace.
TEST(HttpIoThreads, ServeUntilStoppedEvenWithNothingPending) {
    net::io_context ioc;
    std::thread io([&] { fanout::common::http::run_io(ioc, "test"); });
    std::this_thread::sleep_for(100ms);  // long enough for an unguarded run() to have returned
    std::promise<void> ran;
    net::post(ioc, [&] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(10s), std::future_status::ready)
        << "a handler posted while nothing was pending did not run";
    ioc.stop();
    io.join();
    EXPECT_TRUE(ioc.stopped());
}
