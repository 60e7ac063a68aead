#pragma once
// A pipeline's two batches: `batch` goes to the plugin next; `incoming` is
// collected from the consumer (and, with parse ahead, its envelopes parsed
// on a helper thread) meanwhile. Each batch parses into an arena of its own.
// Only events still to be delivered are kept: a partition rewound for a
// retry, revoked, or repositioned by a reload loses its events here (they
// come again from Kafka).
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "event_record.hpp"
#include "json_arena.hpp"
#include "kafka_source.hpp"
#include "parse_ahead.hpp"

namespace fanout::daemon {

class BatchBuffers {
public:
    /// What ended a collection early: an event the pipeline must act on.
    struct Interruption {
        KafkaMessage offset_reset;  ///< the broker says a position is out of range (checkpointing plugins)
        std::string fatal;          ///< the consumer's fatal error
    };

    /// `name`: the plugin's, for the log.
    BatchBuffers(std::string name, std::size_t max_events);
    ~BatchBuffers();

    /// Parse the next batch's envelopes while the plugin handles this one;
    /// `wanted` picks the records worth parsing.
    void enable_parse_ahead(std::function<bool(const EventRecord&)> wanted);
    bool parse_ahead() const noexcept { return parse_ahead_ != nullptr; }
    void disable_parse_ahead() noexcept { parse_ahead_.reset(); }

    std::vector<EventRecord>& batch() noexcept { return batch_; }
    bool incoming_empty() const noexcept { return incoming_.empty(); }

    /// Collect into `incoming`: waiting for the first event and then the
    /// linger (`wait`), or only what is queued. Stops early at `stop` or
    /// `halted` (a rebalance callback may set it while polling).
    Interruption collect(KafkaSource& source, bool wait, std::chrono::milliseconds linger, bool checkpointing,
                         const std::atomic<bool>& stop, const bool& halted);
    /// `batch` (handled) takes `incoming`.
    void take_incoming();
    /// Run `process` on `batch` while `incoming` is parsed ahead; then
    /// `incoming` (minus the partitions rewound meanwhile) becomes `batch`.
    void overlap(const std::function<void()>& process);
    /// A partition was rewound: its events in `incoming` come again.
    void rewound(std::string topic, std::int32_t partition) { rewound_.emplace_back(std::move(topic), partition); }

    template <class Match>
    void forget(const Match& revoked) {
        std::erase_if(batch_, [&](const EventRecord& e) { return revoked(e.topic(), e.partition()); });
        std::erase_if(incoming_, [&](const EventRecord& e) { return revoked(e.topic(), e.partition()); });
    }
    void clear() noexcept {
        batch_.clear();
        incoming_.clear();
    }

private:
    std::string name_;
    std::size_t max_events_;
    // The arenas are declared before the batches, which point into them.
    std::array<JsonArena, 2> arenas_;
    std::size_t batch_arena_ = 0;  ///< arenas_[batch_arena_] is batch_'s, the other incoming_'s
    std::vector<EventRecord> batch_;
    std::vector<EventRecord> incoming_;
    /// Partitions rewound while a batch was handled in overlap().
    std::vector<std::pair<std::string, std::int32_t>> rewound_;
    std::unique_ptr<ParseAhead> parse_ahead_;  ///< declared after the batches: stops first
};

}  // namespace fanout::daemon
