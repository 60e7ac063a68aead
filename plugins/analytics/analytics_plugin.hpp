#pragma once
// The analytics plugin: counts posts, comments and likes per author, per
// UTC day and per post, with an exactly-once effect.
//
// One transaction per batch holds the counter deltas and, per partition, the
// checkpoint move from the offset this instance expects to the new one. A
// stale instance (its partition reassigned) finds another offset there and
// rolls back. Events below the expected offset were applied before a crash
// and are skipped. Version checks make any replay a no-op as well.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fanout/fanout.hpp"
#include "projection.hpp"
#include "settings.hpp"
#include "store.hpp"

namespace fanout::plugins::analytics {

class AnalyticsPlugin final : public Plugin, public Checkpointing {
public:
    AnalyticsPlugin(Settings settings, Context& context);

    /// Connect and migrate. Throws when the database cannot be used at all
    /// (bad path, authentication, unknown database); an unreachable server
    /// is only logged: batches are retried until it answers.
    void start();

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override;
    Checkpointing* checkpointing() noexcept override { return this; }
    std::vector<PartitionOffset> on_assigned(std::span<const TopicPartition> partitions) override;
    void on_revoked(std::span<const TopicPartition> partitions) override;

private:
    using Clock = std::chrono::steady_clock;
    struct PartitionLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const noexcept {
            return a.second != b.second ? a.second < b.second : std::string_view(a.first) < std::string_view(b.first);
        }
    };
    /// Next offset this instance expects per partition (k_no_checkpoint: none yet).
    using Positions = std::map<std::pair<std::string, std::int32_t>, std::int64_t, PartitionLess>;

    /// A usable Store, reconnecting at most every reconnect_interval; false
    /// (with last_error_) while the database is unavailable.
    bool connect();
    /// Load positions of partitions seen in `events` but never assigned.
    bool know_every_partition(std::span<const Event* const> events);
    /// Read positions for `partitions` into positions_; throws.
    std::vector<std::int64_t> load_positions(std::span<const TopicPartition> partitions);
    /// The store failed: drop it if its connection is gone.
    void after_failure() noexcept;
    void retry_accepted(std::span<Outcome> outcomes, const std::string& reason);
    void commit_batch(std::span<Outcome> outcomes);

    Settings settings_;
    Context& context_;
    std::string group_;
    Counter& applied_;
    Counter& duplicates_;
    Counter& ignored_;
    Counter& rejected_;
    Counter& unknown_posts_;
    Counter& fenced_;
    Counter& db_errors_;

    std::unique_ptr<Store> store_;
    std::string last_error_;
    Clock::time_point next_connect_{};
    bool was_down_ = false;
    /// A COMMIT failed without telling whether it landed: re-read positions.
    bool resync_ = false;
    Positions positions_;
    Projection projection_;

    // Per-batch scratch, kept to reuse allocations.
    std::vector<const Event*> accepted_;
    std::vector<std::size_t> accepted_index_;  ///< into the batch
    std::vector<std::size_t> accepted_slot_;   ///< into advances_
    std::vector<CheckpointAdvance> advances_;
    std::vector<Verdict> verdicts_;
    StoredPosts stored_;
};

}  // namespace fanout::plugins::analytics
