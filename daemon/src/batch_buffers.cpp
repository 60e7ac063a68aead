#include "batch_buffers.hpp"

#include <algorithm>

#include "log.hpp"

namespace fanout::daemon {

BatchBuffers::BatchBuffers(std::string name, std::size_t max_events) : name_(std::move(name)), max_events_(max_events) {
    batch_.reserve(max_events);
    incoming_.reserve(max_events);
}

BatchBuffers::~BatchBuffers() { parse_ahead_.reset(); }

void BatchBuffers::enable_parse_ahead(std::function<bool(const EventRecord&)> wanted) {
    parse_ahead_ = std::make_unique<ParseAhead>(std::move(wanted));
}

BatchBuffers::Interruption BatchBuffers::collect(KafkaSource& source, bool wait, std::chrono::milliseconds linger,
                                                 bool checkpointing, const std::atomic<bool>& stop,
                                                 const bool& halted) {
    using Clock = KafkaSource::Clock;
    Clock::time_point deadline{};
    JsonArena& arena = arenas_[1 - batch_arena_];
    if (incoming_.empty()) arena.rewind();  // no event of an earlier batch is left in it
    while (incoming_.size() < max_events_ && !halted) {
        // While events are queued, take them without reading the clock.
        rd_kafka_message_t* raw = incoming_.empty() && wait ? nullptr : source.poll_now();
        if (raw == nullptr && !wait) return {};
        if (raw == nullptr) raw = source.poll_waiting(incoming_.empty(), deadline);
        if (raw == nullptr) {
            if (incoming_.empty() || Clock::now() >= deadline) return {};
            continue;
        }
        KafkaMessage message(raw);
        if (halted) return {};  // stopped in a rebalance callback: hand nothing more
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
            if (checkpointing && message->rkt != nullptr &&
                (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                 message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)) {
                return {std::move(message), {}};
            }
            log().warn("[{}] consumer error: {}", name_, rd_kafka_message_errstr(message.get()));
            if (std::string fatal = source.fatal_error(); !fatal.empty()) return {nullptr, std::move(fatal)};
            continue;
        }
        if (incoming_.empty()) deadline = Clock::now() + linger;
        incoming_.emplace_back(std::move(message), &arena);
        source.consumed();
        if (stop.load(std::memory_order_acquire)) return {};
    }
    return {};
}

void BatchBuffers::take_incoming() {
    std::swap(batch_, incoming_);
    batch_arena_ = 1 - batch_arena_;
    incoming_.clear();
}

void BatchBuffers::overlap(const std::function<void()>& process) {
    rewound_.clear();
    parse_ahead_->start(incoming_);
    {
        struct Joined {
            ParseAhead& parser;
            ~Joined() { parser.wait(); }
        } joined{*parse_ahead_};
        process();
    }
    if (!rewound_.empty()) {
        std::erase_if(incoming_, [&](const EventRecord& e) {
            return std::any_of(rewound_.begin(), rewound_.end(), [&](const auto& tp) {
                return tp.second == e.partition() && tp.first == e.topic();
            });
        });
    }
    take_incoming();
}

}  // namespace fanout::daemon
