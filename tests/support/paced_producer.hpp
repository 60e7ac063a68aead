#pragma once
// A generated stream of post events produced to a topic in paced chunks, from
// a thread of its own, so that a test can disturb the consumer while events
// still flow.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "events.hpp"

namespace fanout::test {

struct Pace {
    std::size_t events = 0;
    std::size_t posts = 100;             ///< EventGenerator's
    std::uint64_t seed = 42;             ///< EventGenerator's
    std::chrono::milliseconds pause{0};  ///< after each chunk
    std::size_t chunk = 2000;
};

class PacedProducer {
public:
    /// Starts producing at once; `fold` sees every event, in order, on the
    /// producer's thread (e.g. a reference model), before it is produced.
    PacedProducer(std::string topic, Pace pace, std::function<void(const GeneratedEvent&)> fold);
    ~PacedProducer();
    PacedProducer(const PacedProducer&) = delete;
    PacedProducer& operator=(const PacedProducer&) = delete;

    /// Waits for the last event to be acknowledged; rethrows a production failure.
    /// What `fold` built is complete after it.
    void finish();

private:
    void run(const std::string& topic, const Pace& pace);

    std::function<void(const GeneratedEvent&)> fold_;
    std::string error_;
    std::thread thread_;
};

}  // namespace fanout::test
