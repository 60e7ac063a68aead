// The outcome ledger without Kafka: what each outcome means for its event and
// its partition, the offsets a batch reaches, attempts counted across batches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "outcome_ledger.hpp"

using fanout::Outcome;
using fanout::daemon::LedgerDecision;
using fanout::daemon::OutcomeLedger;
using fanout::daemon::RetryPolicy;
using Step = LedgerDecision::Step;

namespace {

RetryPolicy policy(int max_attempts) {
    RetryPolicy p;
    p.max_attempts = max_attempts;
    p.initial_backoff = std::chrono::milliseconds(100);
    p.max_backoff = std::chrono::milliseconds(1000);
    return p;
}

/// "topic[partition]=next" per partition the batch moved.
std::vector<std::string> reached(const OutcomeLedger& ledger) {
    std::vector<std::string> out;
    for (const auto& n : ledger.next_offsets()) {
        out.push_back(std::string(n.topic) + "[" + std::to_string(n.partition) + "]=" + std::to_string(n.next_offset));
    }
    return out;
}

const Outcome k_done = Outcome::done();

/// decide() on partition a[0] at `offset`: the event goes to the dead-letter
/// topic after `attempts` deliveries, for `reason`.
void expect_dead_letter(OutcomeLedger& ledger, std::int64_t offset, const Outcome& outcome, int attempts,
                        const std::string& reason) {
    const auto d = ledger.decide("a", 0, offset, &outcome);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->step, Step::dead_letter);
    EXPECT_EQ(d->attempts, attempts);
    EXPECT_EQ(d->reason, reason);
}

TEST(OutcomeLedger, DoneAndFilteredEventsMoveTheirPartitionPastThem) {
    OutcomeLedger ledger(policy(5));
    ledger.begin_batch();
    EXPECT_EQ(ledger.decide("a", 0, 10, &k_done)->step, Step::advance);
    EXPECT_EQ(ledger.decide("a", 0, 11, nullptr)->step, Step::advance);  // filtered out by event_types
    EXPECT_EQ(ledger.decide("a", 1, 7, &k_done)->step, Step::advance);
    EXPECT_EQ(ledger.decide("b", 0, 3, &k_done)->step, Step::advance);
    EXPECT_EQ(reached(ledger), (std::vector<std::string>{"a[0]=12", "a[1]=8", "b[0]=4"}));
    EXPECT_EQ(ledger.done(), 3u);
    EXPECT_EQ(ledger.filtered(), 1u);
}

TEST(OutcomeLedger, ARetryStopsItsPartitionForTheBatchAndOthersGoOn) {
    OutcomeLedger ledger(policy(5));
    ledger.begin_batch();
    const Outcome later = Outcome::retry_later("db down");
    ledger.decide("a", 0, 10, &k_done);
    const auto d = ledger.decide("a", 0, 11, &later);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->step, Step::retry);
    EXPECT_EQ(d->attempts, 1);
    EXPECT_EQ(d->delay, std::chrono::milliseconds(100));
    EXPECT_EQ(d->reason, "db down");
    EXPECT_FALSE(ledger.decide("a", 0, 12, &k_done)) << "after a retry its partition waits: 12 comes again";
    ledger.decide("a", 1, 5, &k_done);
    EXPECT_EQ(reached(ledger), (std::vector<std::string>{"a[0]=11", "a[1]=6"}));
}

TEST(OutcomeLedger, FailuresCountAcrossBatchesWithGrowingBackoffUntilTheDeadLetter) {
    OutcomeLedger ledger(policy(3));
    const Outcome later = Outcome::failed("timeout");
    std::vector<std::chrono::milliseconds> delays;
    for (int batch = 0; batch < 2; ++batch) {
        ledger.begin_batch();
        const auto d = ledger.decide("a", 0, 4, &later);
        ASSERT_EQ(d->step, Step::retry);
        delays.push_back(d->delay);
        EXPECT_EQ(reached(ledger), std::vector<std::string>{}) << "nothing to store: the partition waits at 4";
    }
    EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100), std::chrono::milliseconds(200)}));
    EXPECT_EQ(ledger.attempts("a", 0, 4), 2);
    ledger.begin_batch();
    expect_dead_letter(ledger, 4, later, 3, "retries exhausted after 3 attempts: timeout");
    ledger.dead_lettered("a", 0, 4, true);
    EXPECT_EQ(ledger.attempts("a", 0, 4), 0);
    EXPECT_EQ(ledger.decide("a", 0, 5, &k_done)->step, Step::advance);
    EXPECT_EQ(reached(ledger), std::vector<std::string>{"a[0]=6"});
}

TEST(OutcomeLedger, TransientRetriesNeverDeadLetterAndDoNotCountTowardMaxAttempts) {
    OutcomeLedger ledger(policy(3));
    const Outcome down = Outcome::retry_later("database down");
    std::chrono::milliseconds last{};
    for (int batch = 0; batch < 50; ++batch) {
        ledger.begin_batch();
        const auto d = ledger.decide("a", 0, 4, &down);
        ASSERT_EQ(d->step, Step::retry) << "delivery " << batch + 1 << " of an outage";
        EXPECT_TRUE(d->transient);
        EXPECT_EQ(d->attempts, batch + 1);
        EXPECT_GE(d->delay, last);
        last = d->delay;
    }
    EXPECT_EQ(last, policy(3).max_backoff) << "the backoff stops growing at max_backoff";
    // A failure after the outage: max_attempts counts failures only.
    const Outcome bug = Outcome::failed("handler threw: bug");
    for (int failure = 1; failure < 3; ++failure) {
        ledger.begin_batch();
        const auto d = ledger.decide("a", 0, 4, &bug);
        ASSERT_EQ(d->step, Step::retry) << "failure " << failure;
        EXPECT_FALSE(d->transient);
    }
    ledger.begin_batch();
    expect_dead_letter(ledger, 4, bug, 53, "retries exhausted after 53 attempts: handler threw: bug");
}

TEST(OutcomeLedger, ARejectIsDeadLetteredAndItsPartitionMovesOnOnlyWhenItWasSent) {
    OutcomeLedger ledger(policy(5));
    const Outcome rejected = Outcome::reject("bad data");
    ledger.begin_batch();
    expect_dead_letter(ledger, 1, rejected, 1, "rejected: bad data");
    ledger.dead_lettered("a", 0, 1, true);
    EXPECT_EQ(ledger.decide("a", 0, 2, &k_done)->step, Step::advance);
    // The dead-letter topic refuses the next one: the partition waits at it.
    ASSERT_EQ(ledger.decide("a", 0, 3, &rejected)->step, Step::dead_letter);
    ledger.dead_lettered("a", 0, 3, false);
    EXPECT_FALSE(ledger.decide("a", 0, 4, &k_done));
    EXPECT_EQ(reached(ledger), std::vector<std::string>{"a[0]=3"});
    // Delivered again, still rejected: the same attempt count (a failed send is not a delivery).
    ledger.begin_batch();
    EXPECT_EQ(ledger.decide("a", 0, 3, &rejected)->attempts, 1);
}

TEST(OutcomeLedger, ADoneAfterRetriesForgetsTheAttempts) {
    OutcomeLedger ledger(policy(5));
    const Outcome later = Outcome::retry_later("busy");
    ledger.begin_batch();
    ledger.decide("a", 0, 9, &later);
    ledger.begin_batch();
    ledger.decide("a", 0, 9, &later);
    EXPECT_EQ(ledger.attempts("a", 0, 9), 2);
    ledger.begin_batch();
    EXPECT_EQ(ledger.decide("a", 0, 9, &k_done)->step, Step::advance);
    EXPECT_EQ(ledger.attempts("a", 0, 9), 0);
    EXPECT_EQ(reached(ledger), std::vector<std::string>{"a[0]=10"});
}

TEST(OutcomeLedger, RevokedPartitionsForgetTheirAttempts) {
    OutcomeLedger ledger(policy(5));
    const Outcome later = Outcome::retry_later("busy");
    ledger.begin_batch();
    ledger.decide("a", 0, 1, &later);
    ledger.decide("a", 1, 1, &later);
    ledger.forget([](std::string_view topic, std::int32_t partition) { return topic == "a" && partition == 0; });
    EXPECT_EQ(ledger.attempts("a", 0, 1), 0);
    EXPECT_EQ(ledger.attempts("a", 1, 1), 1);
}

TEST(OutcomeLedger, OneAttemptAllowedDeadLettersAtTheFirstFailure) {
    OutcomeLedger ledger(policy(1));
    const Outcome later = Outcome::failed("no");
    ledger.begin_batch();
    expect_dead_letter(ledger, 0, later, 1, "retries exhausted after 1 attempts: no");
}

}  // namespace
