#pragma once
// The exactly-once loop of a SQL projection, without the projection: the
// connection and its reconnection, the positions per partition (loaded on
// assignment, forgotten on revocation, re-read after a COMMIT whose outcome
// is unknown), the replay skip, the fenced advance in the batch's
// transaction, group commit, the classification of failures (a database
// failure retries the batch, never rejects it) and the metrics every
// projection reports:
//
//   counters  applied, duplicates, ignored, rejected   events, by verdict
//             fenced        batches rolled back: another writer moved a row
//             db_errors     database failures (each retries its batch)
//             batches       batches whose transaction committed
//             commits       transactions committed (several batches each
//                           under load: group commit)
//             rows_written  rows changed by committed batches' statements
//             transaction_us  time from BEGIN to the end of COMMIT, summed
//                           over commits (/ commits: the mean)
//             reconnects    connections made again after one was lost
//   gauges    last_transaction_ms  the last committed transaction
//             database_up   1 while the store is usable, 0 while it is not
//             generation    the generation of the tables written (generations.hpp)
//             rebuild_state a rebuild's instance: 1 building, 2 its generation
//                           is live (the instance has nothing more to do)
//             rebuild_pending  the live instance: 1 while the pointer names a
//                           generation being built (fanoutd resumes its rebuild)
//
// Generations (blue/green rebuild, generations.hpp): the live instance
// writes the generation the pointer table names, looks at the pointer about
// once a second between batches, and when a rebuild made another generation
// live it reads its checkpoints there (Durability::lost) and goes on in it;
// it drops the retired generation once its grace period is over. A rebuild's
// instance (ConnectionSettings::rebuild) writes a new generation from the
// start of the stream, and makes it live in one transaction once its
// checkpoints have reached the live generation's.
//
// Group commit: under a backlog (fanoutd says so in between_batches: the
// batch was full and more events wait), the transaction stays open for the
// next batch, up to
// ConnectionSettings::commit_max_events events or commit_max_delay; it
// commits as soon as the stream is idle, before a revocation, a reload and
// a stop. Each batch's checkpoint advance is in that transaction, so a crash
// loses the work and the checkpoints together (replayed, never skipped). A
// transaction that rolls back after earlier batches were reported done
// reports `lost`: the host reads the partitions again from the checkpoints,
// and until it has (on_assigned) every batch is answered retry_later.
//
// A projection does not derive from this directly: ProjectionPlugin<Derived>
// (projection_plugin.hpp) adds the batch itself, with the projection's own
// verdicts and changes and no virtual call per event.
//
// Threading: the pipeline thread only, as Plugin and Checkpointing.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "fanout/outcome.hpp"
#include "fanout/plugin.hpp"
#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/errors.hpp"
#include "fanout/sql/generations.hpp"
#include "fanout/sql/migrations.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::sql {

class ProjectionLoop : public Plugin, public Checkpointing {
public:
    /// Connect and migrate. Throws when the database cannot be used at all
    /// (bad path, authentication, unknown database, a schema this build
    /// cannot use); an unreachable server is only logged: batches are
    /// retried until it answers.
    void start();

    Checkpointing* checkpointing() noexcept override { return this; }
    std::vector<PartitionOffset> on_assigned(std::span<const TopicPartition> partitions) override;
    void on_revoked(std::span<const TopicPartition> partitions) override;
    Durability between_batches(bool idle) override;

protected:
    /// `name` names the projection in messages ("read model": "read model
    /// ready: ...", "cannot use the read model database ..."); `schema`: its
    /// tables, migrated on every (re)connection before the store is made.
    ProjectionLoop(ConnectionSettings database, Context& context, std::string name, Schema schema);

    /// Session settings of the projection's own, before the migrations
    /// (e.g. PRAGMAs). Throws std::exception.
    virtual void configure(soci::session& session, Backend backend) = 0;
    /// The store on a connected, migrated session. Throws std::exception.
    virtual std::unique_ptr<BatchStore> make_store(std::unique_ptr<soci::session> session, Backend backend) = 0;
    /// Drop what the projection keeps of earlier batches: called on any
    /// failure, revocation and reconnection, and when a post-commit hook throws.
    virtual void forget() noexcept {}

    /// Start of a batch: the positions of every partition in `events`, the
    /// events to apply (accepted_; those below their partition's position
    /// were committed before and are counted as duplicates), a usable store.
    /// False when there is nothing more to do (`outcomes` are set).
    bool select(std::span<const Event* const> events, std::span<Outcome> outcomes);
    /// Each partition's checkpoint stops at its first rejected accepted event
    /// (`rejected(k)`): the host may fail to dead-letter it and redeliver it,
    /// which must not look like a replay. Later events are applied now and
    /// are duplicates by version if they come again.
    template <typename Rejected>
    void plan_advances(Rejected&& rejected) {
        stopped_.assign(advances_.size(), false);
        for (std::size_t k = 0; k < accepted_.size(); ++k) {
            const std::size_t slot = accepted_slot_[k];
            if (stopped_[slot]) continue;
            if (rejected(k)) {
                advances_[slot].next = accepted_[k]->offset();
                stopped_[slot] = true;
            } else {
                advances_[slot].next = accepted_[k]->offset() + 1;
            }
        }
    }
    /// The fenced advance in the open transaction; false (batch rolled back,
    /// logged, counted, `outcomes` set) when another consumer moved a checkpoint.
    bool advance(std::span<Outcome> outcomes);
    /// The batch failed: roll back, count, log, retry its accepted events.
    void concurrent_change(std::span<Outcome> outcomes, const ConcurrentChange& e);
    void database_error(std::span<Outcome> outcomes, const std::exception& e);
    /// After the advance: the partitions' positions move to the advances'.
    void advance_positions() noexcept;
    /// True while a transaction holds earlier batches' work (group commit).
    bool in_transaction() const noexcept { return open_.active; }
    /// The batch's transaction was begun (BEGIN done).
    void began_transaction() noexcept;
    /// Right after BEGIN: throws ConcurrentChange when a rebuild made another
    /// generation live, so the batch never lands in the retired one (on
    /// PostgreSQL the pointer row is read FOR SHARE: a switch waits for this
    /// transaction, and a transaction begun after it sees it); the store is
    /// then dropped and the positions read again in the live generation.
    void guard_generation();
    /// The batch's changes and advance are in the open transaction: `rows`
    /// written by its statements.
    void wrote_batch(std::uint64_t rows) noexcept;
    /// Log one rejected event at debug level.
    void log_rejected(const Event& event, const std::string& reason);
    void count(std::uint64_t applied, std::uint64_t duplicates, std::uint64_t ignored, std::uint64_t rejected);

    Context& context() noexcept { return context_; }
    BatchStore& store() noexcept { return *store_; }

    // The batch: events to apply, their index in the batch, their partition's
    // slot in advances_. Kept to reuse allocations.
    std::vector<const Event*> accepted_;
    std::vector<std::size_t> accepted_index_;
    std::vector<std::size_t> accepted_slot_;
    std::vector<CheckpointAdvance> advances_;

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

    /// A new store: connect, configure, migrate, make_store. Throws.
    std::unique_ptr<BatchStore> open();
    /// A usable store, reconnecting at most every reconnect_interval; false
    /// (with last_error_) while the database is unavailable.
    bool connect();
    /// Load positions of partitions seen in `events` but never assigned.
    bool know_every_partition(std::span<const Event* const> events);
    /// Read positions for `partitions` into positions_; throws.
    std::vector<std::int64_t> load_positions(std::span<const TopicPartition> partitions);
    /// The store failed: roll back (earlier batches' work with it: lost),
    /// drop the store if its connection is gone.
    void after_failure() noexcept;
    /// COMMIT the open transaction; on failure it is lost (after_failure).
    void commit_open() noexcept;
    /// Between batches, about once a second: follow a switch of the live
    /// generation, drop a retired one; a rebuild's instance: switch once
    /// caught up.
    void check_generation() noexcept;
    void retry_accepted(std::span<Outcome> outcomes, const std::string& reason);

    ConnectionSettings database_;
    Context& context_;
    std::string name_;
    Schema schema_;
    std::string group_;
    Counter& applied_;
    Counter& duplicates_;
    Counter& ignored_;
    Counter& rejected_;
    Counter& fenced_;
    Counter& db_errors_;
    Counter& batches_;
    Counter& commits_;
    Counter& rows_written_;
    Counter& transaction_us_;
    Counter& reconnects_;
    Gauge& last_transaction_ms_;
    Gauge& database_up_;
    Gauge& generation_gauge_;
    Gauge& rebuild_state_;
    Gauge& rebuild_pending_;

    /// On the base location: the pointer table (generations.hpp).
    std::unique_ptr<soci::session> base_;
    std::unique_ptr<Generations> generations_;
    int generation_ = -1;  ///< the generation written; -1 before the first connection
    bool rebuilt_ = false;  ///< a rebuild's instance whose generation is live now
    bool generation_moved_ = false;  ///< guard_generation() saw another live generation
    Clock::time_point next_generation_check_{};

    std::unique_ptr<BatchStore> store_;
    std::string last_error_;
    Clock::time_point next_connect_{};
    bool was_down_ = false;
    /// The transaction holding earlier batches (group commit).
    struct OpenTransaction {
        bool active = false;
        Clock::time_point since{};
        std::uint64_t batches = 0;
        std::uint64_t events = 0;
        std::uint64_t rows = 0;
    } open_;
    /// Work reported done was rolled back: between_batches says `lost` once.
    bool lost_ = false;
    /// ... and positions_ are stale until the host assigns again.
    bool repositioning_ = false;
    Positions positions_;
    std::vector<bool> stopped_;  ///< per advances_ slot: at a rejected event
};

}  // namespace fanout::sql
