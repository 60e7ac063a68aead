#pragma once
// Parses the envelopes of the next batch on a thread of its own while the
// plugin handles the current one, so the JSON parse no longer sits on the
// pipeline thread's critical path (pipeline.hpp, "parse ahead").
//
// One batch at a time: start() hands it over, wait() returns once every
// selected record is parsed. Between the two the caller must not touch the
// records; after wait() they are the caller's again (the mutex hand-off
// orders the writes made here before the caller's reads).
#include <condition_variable>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

#include "event_record.hpp"

namespace fanout::daemon {

class ParseAhead {
public:
    /// `wanted` picks the records worth parsing (the plugin's type filter).
    explicit ParseAhead(std::function<bool(const EventRecord&)> wanted);
    ~ParseAhead();

    ParseAhead(const ParseAhead&) = delete;
    ParseAhead& operator=(const ParseAhead&) = delete;

    void start(std::span<const EventRecord> records);
    /// Until the batch given to start() is parsed; at once when none is.
    void wait();

private:
    void run();

    std::function<bool(const EventRecord&)> wanted_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::span<const EventRecord> records_;
    bool busy_ = false;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace fanout::daemon
