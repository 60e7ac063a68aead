#pragma once
// What a pipeline does with a batch's outcomes, decided as data: per event,
// advance its partition, dead-letter it, or retry it after a backoff; per
// partition, the next offset to store. Knows the retry policy and counts the
// attempts of each event across batches. No Kafka, no I/O: the pipeline
// carries out the decisions (pipeline.cpp) and reports back whether a
// dead-letter was sent.
//
//   ledger.begin_batch();
//   for (event : batch) {
//       auto d = ledger.decide(event.topic(), event.partition(), event.offset(), outcome_or_null);
//       if (!d) continue;                       // its partition stopped earlier in the batch
//       if (d->step == Step::dead_letter) ledger.dead_lettered(..., send(event, d->reason, d->attempts));
//       if (d->step == Step::retry) rewind(event, d->delay);
//   }
//   store(ledger.next_offsets());
//
// Per partition, events are decided in offset order; the first event that is
// not done (a retry, or a dead-letter that could not be sent) stops its
// partition for the rest of the batch: everything after it comes again.
//
// retry_later is transient (an outage): retried with a backoff capped at
// max_backoff for as long as it lasts, never dead-lettered. failed (a
// handler's exception, a script error) counts toward max_attempts, then the
// event is dead-lettered; transient deliveries in between do not count.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "config.hpp"
#include "fanout/outcome.hpp"

namespace fanout::daemon {

struct LedgerDecision {
    enum class Step {
        advance,      ///< done (or filtered out): its partition moves past it
        dead_letter,  ///< rejected, or out of retries: send it to the dead-letter topic, then dead_lettered()
        retry,        ///< deliver it again after `delay`; its partition stops here for this batch
    };
    Step step = Step::advance;
    int attempts = 0;                  ///< deliveries so far, this one included (dead_letter, retry)
    std::chrono::milliseconds delay{}; ///< retry: the backoff before the next delivery
    std::string reason;                ///< dead_letter: why, for the record; retry: the plugin's reason
    bool transient = false;            ///< retry: retry_later (no limit), not a failure (max_attempts)
};

class OutcomeLedger {
public:
    explicit OutcomeLedger(RetryPolicy retry) : retry_(retry) {}

    /// A new batch: no partition has moved or stopped yet.
    void begin_batch();

    /// The event at `offset` of topic/partition ended with `outcome`
    /// (nullptr: the plugin's event_types filtered it out). nullopt when its
    /// partition already stopped in this batch: the event is left alone.
    /// `topic` must stay valid until the batch's next_offsets() were read.
    std::optional<LedgerDecision> decide(std::string_view topic, std::int32_t partition, std::int64_t offset,
                                         const Outcome* outcome);

    /// After a dead_letter decision: `sent` true moves the partition past the
    /// event and forgets its attempts; false stops the partition at it (the
    /// pipeline rewound it, or stopped).
    void dead_lettered(std::string_view topic, std::int32_t partition, std::int64_t offset, bool sent);

    struct NextOffset {
        std::string_view topic;
        std::int32_t partition = 0;
        std::int64_t next_offset = 0;
    };
    /// The partitions this batch moved, with the offset to store for each.
    std::vector<NextOffset> next_offsets() const;

    /// Events of this batch done / filtered out so far.
    std::uint64_t done() const noexcept { return done_; }
    std::uint64_t filtered() const noexcept { return filtered_; }
    /// Failed deliveries counted for an event, transient ones included (0: none yet).
    int attempts(std::string_view topic, std::int32_t partition, std::int64_t offset) const;
    /// Forget the attempts of partitions no longer ours.
    void forget(const std::function<bool(std::string_view topic, std::int32_t partition)>& revoked);

private:
    using AttemptKey = std::tuple<std::string, std::int32_t, std::int64_t>;
    struct Progress {
        std::int64_t next_offset = -1;
        bool stopped = false;
    };

    struct Attempts {
        int deliveries = 0;  ///< not done, any reason
        int failures = 0;    ///< Outcome::failed: these count toward max_attempts
    };
    RetryPolicy retry_;
    std::map<AttemptKey, Attempts> attempts_;
    std::map<std::pair<std::string_view, std::int32_t>, Progress> progress_;
    std::uint64_t done_ = 0, filtered_ = 0;
};

}  // namespace fanout::daemon
