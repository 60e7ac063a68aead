#pragma once
// The outbox relay: a thread that publishes committed events to Kafka in
// global-sequence order and records how far it got, durably, only after the
// broker acknowledged. A crash or a broker outage replays from the recorded
// position: every event is published at least once, never before its commit.
//
// Pipelined: the relay keeps producing newly committed events while earlier
// ones wait for their acknowledgement (up to `max_in_flight`), and records the
// position as the acknowledged prefix grows. The idempotent producer keeps
// their order; throughput no longer depends on the broker's round trip.
//
// Gaps: appends are serialised (event_store.hpp), so sequences become
// visible in order and a missing sequence below a visible one is a rolled
// back append. The relay still waits `gap_grace` before moving past a gap,
// in case a writer that does not serialise (another version, a manual
// insert) commits it late.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "event_store.hpp"
#include "kafka_publisher.hpp"
#include "restore_job.hpp"

namespace fanout::post_command {

struct RelaySettings {
    std::size_t batch_size = 500;       ///< events read from the store at a time
    std::size_t max_in_flight = 10'000;  ///< produced, not yet acknowledged
    std::chrono::milliseconds poll_interval{200};  ///< idle re-read (other processes' appends)
    /// After publishing a partial batch, wait this long before reading again,
    /// so a busy store is published in batches (one position write per batch)
    /// while a quiet one is published at once.
    std::chrono::milliseconds linger{5};
    std::chrono::milliseconds gap_grace{500};
    std::chrono::milliseconds lag_log_interval{10'000};
    std::size_t restore_page_size = 1000;
};

struct RelayStatus {
    std::string role = "starting";  ///< starting | leading | standby | stopped
    std::int64_t published_sequence = 0;
    std::uint64_t published_events = 0;  ///< by this process since it started
    std::string last_error;
};

class OutboxRelay {
public:
    OutboxRelay(StoreLocation location, SqliteTuning tuning, KafkaSettings kafka, RelaySettings settings,
                RestoreJob& restore);
    ~OutboxRelay();

    OutboxRelay(const OutboxRelay&) = delete;
    OutboxRelay& operator=(const OutboxRelay&) = delete;

    void start();
    /// Something was committed: look now rather than at the next poll.
    void notify();
    /// Finish the in-flight publish (waiting at most `drain_timeout` for its
    /// acknowledgements), record the position, stop. Idempotent.
    void stop(std::chrono::milliseconds drain_timeout);

    RelayStatus status() const;

private:
    void run();
    bool step();
    bool publish_live();
    bool produce_new();
    bool collect_acknowledged();
    void reset_in_flight();
    void drain_in_flight();
    bool publish_restore_page(const RestoreProgress& job);
    void record_failure(const std::string& what, const PublishResult& result);
    bool give_up();
    void pause(std::chrono::milliseconds duration);
    void linger(std::chrono::milliseconds duration);
    void log_lag();
    void set_role(const std::string& role);

    StoreLocation location_;
    SqliteTuning tuning_;
    KafkaSettings kafka_;
    RelaySettings settings_;
    RestoreJob& restore_;

    std::unique_ptr<EventReader> reader_;
    std::unique_ptr<KafkaPublisher> publisher_;
    struct InFlight {
        std::int64_t sequence;
        Delivery delivery;
    };
    /// Produced events in sequence order, oldest first; librdkafka holds a
    /// pointer to each one's Delivery (a deque keeps them in place).
    std::unique_ptr<std::deque<InFlight>> in_flight_ = std::make_unique<std::deque<InFlight>>();
    std::int64_t produced_ = 0;  ///< the last sequence handed to the producer
    bool leading_ = false;
    std::int64_t position_ = 0;
    std::int64_t restore_cursor_ = 0;
    bool last_batch_full_ = false;
    std::int64_t gap_after_ = -1;
    std::chrono::steady_clock::time_point gap_since_;
    std::chrono::milliseconds backoff_{0};
    std::chrono::steady_clock::time_point next_lag_log_;
    std::int64_t last_logged_lag_ = 0;

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool notified_ = false;
    bool reports_ready_ = false;  ///< delivery reports are waiting to be served
    std::atomic<bool> stopping_{false};
    std::atomic<std::chrono::steady_clock::rep> drain_deadline_{0};

    mutable std::mutex status_mutex_;
    RelayStatus status_;
    std::thread thread_;
};

}  // namespace fanout::post_command
