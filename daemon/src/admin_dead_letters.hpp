#pragma once
// The dead-letter routes of the admin endpoint. They read the dead-letter
// topic (seconds for a large one), so they run on a worker thread of their
// own, one at a time, never on the I/O thread that answers the probes:
//   GET  /dead-letters?plugin=&reason=&since=&until=&partition=&from_offset=&to_offset=&limit=
//   GET  /dead-letters/PARTITION/OFFSET       one dead letter whole (value, headers, history)
//   POST /plugins/NAME/redrive?<selection>&dry_run=true&force=true&limit=
// and the start of a rebuild, which reads the topics' watermarks first:
//   POST /plugins/NAME/rebuild
// The caller checks the control token first.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace fanout::daemon {

class Daemon;

class DeadLetterJobs {
public:
    /// The route's answer: HTTP status and JSON body.
    using Done = std::function<void(unsigned status, std::string body)>;

    explicit DeadLetterJobs(Daemon& daemon);
    /// Stops a running job at its next step and joins the worker.
    ~DeadLetterJobs();
    DeadLetterJobs(const DeadLetterJobs&) = delete;
    DeadLetterJobs& operator=(const DeadLetterJobs&) = delete;

    /// Whether `path` (without its query) is one of these routes for a
    /// POST (`post`) or another method.
    static bool handles(std::string_view path, bool post);
    /// Queue the request; `done` is called on the worker thread. False when
    /// one job runs and another waits already (the caller answers 429).
    bool submit(bool post, std::string target, Done done);

    /// Run one request now, on the calling thread (the worker's body).
    static std::pair<unsigned, std::string> answer(Daemon& daemon, bool post, std::string_view target,
                                                   const std::atomic<bool>& cancel);

private:
    struct Job {
        bool post;
        std::string target;
        Done done;
    };
    void work();

    Daemon& daemon_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool busy_ = false;
    std::atomic<bool> stopping_{false};
    std::thread worker_;
};

}  // namespace fanout::daemon
