#pragma once
// The sql_read_model plugin: projects post events into the read model with
// an exactly-once effect.
//
// One transaction per batch holds the model changes and, per partition, the
// checkpoint move from the offset this instance expects to the new one. A
// stale instance (its partition reassigned) finds another offset there and
// rolls back. Events below the expected offset were applied before a crash
// and are skipped. Version checks make any replay a no-op as well.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fanout/fanout.hpp"
#include "projection.hpp"
#include "settings.hpp"
#include "store.hpp"

namespace fanout::plugins::sql_read_model {

class ReadModelPlugin final : public Plugin, public Checkpointing {
public:
    ReadModelPlugin(Settings settings, Context& context);

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
    /// stored_ for `ids`: from known_, the rest from the store.
    void load_stored(std::span<const std::string_view> ids);
    /// Project over stored_; an event rejected against a post taken from
    /// known_ is checked against the database (known_ may lag behind a
    /// writer of another group), then the batch is projected again.
    const ChangeSet& project_batch(std::span<const std::string_view> ids);
    /// After a commit: the batch's posts as the database now holds them.
    void remember(const ChangeSet& changes);
    void commit_batch(std::span<Outcome> outcomes);

    Settings settings_;
    Context& context_;
    std::string group_;
    Counter& applied_;
    Counter& duplicates_;
    Counter& ignored_;
    Counter& rejected_;
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

    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    /// Committed state of the posts of earlier batches, so that a batch
    /// looks up only posts it has not seen. A hint that can only lag behind
    /// the database: every write of a post is guarded by the version read
    /// here, and a stale one rolls the batch back (ConcurrentChange).
    /// Emptied on any failure, revocation or reconnection, and when full.
    std::unordered_map<std::string, StoredPost, TextHash, std::equal_to<>> known_;

    // Per-batch scratch, kept to reuse allocations.
    std::vector<const Event*> accepted_;
    std::vector<std::size_t> accepted_index_;  ///< into the batch
    std::vector<std::size_t> accepted_slot_;   ///< into advances_
    std::vector<CheckpointAdvance> advances_;
    std::vector<Verdict> verdicts_;
    StoredPosts stored_;
    std::vector<bool> from_known_;  ///< per id: stored_ came from known_
    std::vector<std::string_view> lookup_ids_;
    std::vector<std::size_t> lookup_at_;
    StoredPosts looked_up_;
};

}  // namespace fanout::plugins::sql_read_model
