#pragma once
// The topic fanout_bench measures: realistic post events (the contract of
// docs/events.md, the envelope of tests/support/events.cpp, all seven types,
// ~300 bytes on average), produced as the outbox relay publishes them.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "fanoutd_config.hpp"

namespace fanout::bench {

/// `t` as "YYYY-MM-DD" `separator` "hh:mm:ss", with ".mmm" when `millis`.
std::string utc_text(std::chrono::sys_time<std::chrono::milliseconds> t, char separator, bool millis);

struct LoadResult {
    std::uint64_t events = 0;
    std::uint64_t value_bytes = 0;
    double seconds = 0;
    std::map<std::string, std::uint64_t> types;
};

/// Produces `n` events over `posts` live posts (keys) into `topic`, with
/// idempotence and `producer_props` on top of the defaults; waits until
/// every event is acknowledged.
LoadResult load_events(const std::string& brokers, const std::string& topic, std::uint64_t n, std::size_t posts,
                       std::uint64_t seed, const Properties& producer_props);

}  // namespace fanout::bench
