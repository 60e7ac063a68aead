#include "outcome_ledger.hpp"

namespace fanout::daemon {

void OutcomeLedger::begin_batch() {
    progress_.clear();
    done_ = 0;
    filtered_ = 0;
}

std::optional<LedgerDecision> OutcomeLedger::decide(std::string_view topic, std::int32_t partition,
                                                    std::int64_t offset, const Outcome* outcome) {
    Progress& p = progress_[{topic, partition}];
    if (p.stopped) return std::nullopt;
    if (outcome == nullptr) {
        ++filtered_;
        p.next_offset = offset + 1;
        return LedgerDecision{};
    }
    if (outcome->is_done() && attempts_.empty()) {  // the hot path: no bookkeeping
        ++done_;
        p.next_offset = offset + 1;
        return LedgerDecision{};
    }
    const auto found = attempts_.find(AttemptKey{std::string(topic), partition, offset});
    const Attempts previous = found == attempts_.end() ? Attempts{} : found->second;
    bool transient = false;
    switch (outcome->kind()) {
        case Outcome::Kind::done:
            ++done_;
            if (found != attempts_.end()) attempts_.erase(found);
            p.next_offset = offset + 1;
            return LedgerDecision{};
        case Outcome::Kind::reject:
            return LedgerDecision{LedgerDecision::Step::dead_letter, previous.deliveries + 1, {},
                                  "rejected: " + outcome->reason()};
        case Outcome::Kind::retry_later: transient = true; break;
        case Outcome::Kind::failed: break;
    }
    const Attempts now{previous.deliveries + 1, previous.failures + (transient ? 0 : 1)};
    if (!transient && now.failures >= retry_.max_attempts) {
        return LedgerDecision{LedgerDecision::Step::dead_letter, now.deliveries, {},
                              "retries exhausted after " + std::to_string(now.deliveries) +
                                  " attempts: " + outcome->reason()};
    }
    attempts_[AttemptKey{std::string(topic), partition, offset}] = now;
    p.stopped = true;
    return LedgerDecision{LedgerDecision::Step::retry, now.deliveries, retry_.backoff_after(now.deliveries),
                          outcome->reason(), transient};
}

void OutcomeLedger::dead_lettered(std::string_view topic, std::int32_t partition, std::int64_t offset, bool sent) {
    Progress& p = progress_[{topic, partition}];
    if (!sent) {
        p.stopped = true;
        return;
    }
    attempts_.erase(AttemptKey{std::string(topic), partition, offset});
    p.next_offset = offset + 1;
}

std::vector<OutcomeLedger::NextOffset> OutcomeLedger::next_offsets() const {
    std::vector<NextOffset> out;
    out.reserve(progress_.size());
    for (const auto& [tp, p] : progress_) {
        if (p.next_offset >= 0) out.push_back({tp.first, tp.second, p.next_offset});
    }
    return out;
}

int OutcomeLedger::attempts(std::string_view topic, std::int32_t partition, std::int64_t offset) const {
    const auto found = attempts_.find(AttemptKey{std::string(topic), partition, offset});
    return found == attempts_.end() ? 0 : found->second.deliveries;
}

void OutcomeLedger::forget(const std::function<bool(std::string_view, std::int32_t)>& revoked) {
    std::erase_if(attempts_, [&](const auto& entry) { return revoked(std::get<0>(entry.first), std::get<1>(entry.first)); });
}

}  // namespace fanout::daemon
