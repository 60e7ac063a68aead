#include "fanout/common/shutdown_watch.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "fanout/common/log.hpp"

namespace fanout::common {
namespace {

using namespace std::chrono_literals;

/// Captures what the process logger writes while it lives.
class CapturedLog {
public:
    CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
        log().sinks().push_back(sink_);
        previous_ = log().level();
        log().set_level(spdlog::level::debug);
    }
    ~CapturedLog() {
        log().sinks().pop_back();
        log().set_level(previous_);
    }
    std::string text() const {
        std::string all;
        for (const std::string& line : sink_->last_formatted()) all += line;
        return all;
    }

private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
    spdlog::level::level_enum previous_;
};

TEST(ShutdownWatch, AStopThatTakesLongIsReportedWithTheStepItIsIn) {
    CapturedLog captured;
    {
        ShutdownWatch watch(100ms);
        watch.step("closing connections");
        watch.step("waiting for the relay");
        std::this_thread::sleep_for(350ms);
    }
    const std::string text = captured.text();
    EXPECT_NE(text.find(" s: waiting for the relay (for "), std::string::npos) << text;
    EXPECT_EQ(text.find(" s: closing connections (for "), std::string::npos) << "that step took no time: " << text;
    EXPECT_NE(text.find("stop: closing connections took "), std::string::npos) << text;
    EXPECT_NE(text.find("stop: waiting for the relay took "), std::string::npos) << text;
}

TEST(ShutdownWatch, AQuickStopSaysNothingAboveDebug) {
    CapturedLog captured;
    log().set_level(spdlog::level::info);
    {
        ShutdownWatch watch(10s);
        watch.step("closing connections");
    }
    EXPECT_EQ(captured.text(), "");
}

}  // namespace
}  // namespace fanout::common
