#pragma once
// A batch of events seen as the aggregates they belong to, under the event
// contract's version discipline (docs/events.md): each envelope read once,
// the distinct aggregate ids in first-seen order (what a projection loads
// from its store), and per aggregate its stored and current lifecycle state
// and version while the batch is folded in order. admit() says, per event:
//   - at or below its aggregate's version: a duplicate (a replay), nothing to do;
//   - an aggregate that does not exist starts with its creation event at version 1;
//   - otherwise the next version applies; a gap, an event of an unknown or
//     removed aggregate, a second creation, or data that breaks the
//     contract's rule for its type (valid event data) is rejected, with a
//     reason that says which.
//
//   const auto& ids = batch.read(events);                 // before the transaction
//   store.load(ids, stored);                              // in it
//   batch.start();
//   for (i ...) if (stored[i]) batch.stored(i, stored[i]->removed, stored[i]->version);
//   for (const Head& head : batch.heads()) {
//       const auto a = batch.admit(head, "PostCreatedEvent");
//       if (a.kind != Admission::apply) { ...duplicate, or reject with a.reason; continue; }
//       ...apply head.type (on creation: batch.aggregate(head.aggregate).state = State::live)...
//       batch.advance(head);
//   }
//   // then: batch.aggregate(i).changed() says which rows to write
//
// Not thread-safe; reused across batches (keeps its allocations). Views into
// the events: valid while they are (the handle() call).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fanout/event.hpp"

namespace fanout::sql {

class AggregateBatch {
public:
    enum class State { absent, live, removed };

    /// The envelope fields of one event, read once.
    struct Head {
        const Event* event = nullptr;
        std::string_view type;
        std::int64_t version = 0;
        std::uint32_t aggregate = 0;      ///< index into ids()
        const char* malformed = nullptr;  ///< why the envelope is unusable; null when it is usable
    };

    /// One aggregate of the batch: as stored, and as the batch has it so far.
    struct Aggregate {
        State stored_state = State::absent;
        std::int64_t stored_version = 0;
        State state = State::absent;
        std::int64_t version = 0;
        bool changed() const noexcept { return state != stored_state || version != stored_version; }
    };

    struct Admission {
        enum Kind { apply, duplicate, reject };
        Kind kind = apply;
        std::string reason;    ///< for reject
        bool unknown = false;  ///< reject: the aggregate was never created
    };

    /// Read the envelopes of `events`. Returns ids(): the distinct aggregate
    /// ids of the usable ones, in first-seen order.
    const std::vector<std::string_view>& read(std::span<const Event* const> events);
    const std::vector<std::string_view>& ids() const noexcept { return ids_; }
    std::span<const Head> heads() const noexcept { return heads_; }
    /// The index into ids() of event `i`'s aggregate; SIZE_MAX for a malformed envelope.
    std::size_t aggregate_of(std::size_t i) const noexcept {
        return heads_[i].malformed != nullptr ? SIZE_MAX : heads_[i].aggregate;
    }

    /// Start folding: every aggregate absent until stored() says otherwise.
    void start() { aggregates_.assign(ids_.size(), Aggregate{}); }
    /// Aggregate `i` exists in the store at `version` (removed or live).
    void stored(std::size_t i, bool removed, std::int64_t version) noexcept {
        Aggregate& a = aggregates_[i];
        a.stored_state = a.state = removed ? State::removed : State::live;
        a.stored_version = a.version = version;
    }
    Aggregate& aggregate(std::size_t i) noexcept { return aggregates_[i]; }
    const Aggregate& aggregate(std::size_t i) const noexcept { return aggregates_[i]; }

    /// The verdict on `head` before its type is applied; `creation` names
    /// the type that creates an aggregate.
    Admission admit(const Head& head, std::string_view creation) const;
    /// `head` applied: its aggregate is now at its version.
    void advance(const Head& head) noexcept { aggregates_[head.aggregate].version = head.version; }

private:
    std::vector<Head> heads_;
    std::unordered_map<std::string_view, std::uint32_t> index_;
    std::vector<std::string_view> ids_;
    std::vector<Aggregate> aggregates_;  ///< aligned with ids_
};

}  // namespace fanout::sql
