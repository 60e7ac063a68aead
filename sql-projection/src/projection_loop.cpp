#include "fanout/sql/projection_loop.hpp"

#include <algorithm>
#include <stdexcept>

namespace fanout::sql {
namespace {

std::string partition_name(std::string_view topic, std::int32_t partition) {
    return std::string(topic) + "[" + std::to_string(partition) + "]";
}

}  // namespace

ProjectionLoop::ProjectionLoop(ConnectionSettings database, Context& context, std::string name, Schema schema)
    : database_(std::move(database)),
      context_(context),
      name_(std::move(name)),
      schema_(std::move(schema)),
      group_(context.consumer_group()),
      applied_(context.counter("applied")),
      duplicates_(context.counter("duplicates")),
      ignored_(context.counter("ignored")),
      rejected_(context.counter("rejected")),
      fenced_(context.counter("fenced")),
      db_errors_(context.counter("db_errors")),
      batches_(context.counter("batches")),
      commits_(context.counter("commits")),
      rows_written_(context.counter("rows_written")),
      transaction_us_(context.counter("transaction_us")),
      reconnects_(context.counter("reconnects")),
      last_transaction_ms_(context.gauge("last_transaction_ms")),
      database_up_(context.gauge("database_up")),
      generation_gauge_(context.gauge("generation")),
      rebuild_state_(context.gauge("rebuild_state")),
      rebuild_pending_(context.gauge("rebuild_pending")) {}

std::unique_ptr<BatchStore> ProjectionLoop::open() {
    base_.reset();
    generations_.reset();
    std::unique_ptr<soci::session> session = sql::connect(database_);
    const Backend backend = backend_of(*session);
    // The pointer table is read on the store's own session (PostgreSQL: named
    // with the base schema), but for a SQLite generation, which is a file of
    // its own: there the base file keeps a session of its own.
    auto generations = std::make_unique<Generations>(*session, schema_.component);
    try {
        generations->ensure_table();
    } catch (const soci::soci_error&) {
        generations->ensure_table();  // PostgreSQL: another projection created it at the same moment
    }
    const GenerationPointer pointer = generations->read();
    int g = pointer.live;
    if (database_.rebuild) {
        if (generation_ < 0) {
            g = generations->begin_building(database_);
            context_.logger().info(
                (pointer.building ? "going on rebuilding " + name_ + " into generation " + std::to_string(g) +
                                        " from its checkpoints"
                                  : "rebuilding " + name_ + " into generation " + std::to_string(g) +
                                        " from the start of the stream") +
                " (live: generation " + std::to_string(pointer.live) + ")");
        } else {
            g = generation_;
            if (!pointer.building || *pointer.building != g) rebuilt_ = true;
        }
        rebuild_state_.set(rebuilt_ ? 2 : 1);
    } else {
        rebuild_pending_.set(pointer.building ? 1 : 0);
        if (generation_ >= 0 && g != generation_) {
            context_.logger().info(name_ + ": generation " + std::to_string(g) + " is live now (was " +
                                   std::to_string(generation_) + ")");
        }
    }
    std::unique_ptr<soci::session> base;
    if (g > 0 && backend == Backend::postgresql) {
        enter_generation_schema(*session, schema_.component, g);
    } else if (g > 0) {
        base = std::move(session);
        session = connect_generation(database_, schema_.component, g);
    }
    configure(*session, backend);
    const MigrationResult migrated = migrate(*session, schema_);
    if (migrated.from != migrated.to) {
        context_.logger().info(name_ + " schema migrated: component=" + schema_.component +
                               " from=" + std::to_string(migrated.from) + " to=" + std::to_string(migrated.to));
    }
    std::unique_ptr<BatchStore> store = make_store(std::move(session), backend);
    generation_ = g;
    generation_gauge_.set(g);
    base_ = std::move(base);
    generations_ = std::move(generations);
    return store;
}

void ProjectionLoop::start() {
    const std::string where = redacted(database_.connection);
    try {
        store_ = open();
    } catch (const std::exception& e) {
        if (!is_transient(e.what())) {
            throw std::runtime_error("cannot use the " + name_ + " database " + where + ": " + one_line(e.what()));
        }
        last_error_ = one_line(e.what());
        was_down_ = true;
        next_connect_ = Clock::now() + database_.reconnect_interval;
        db_errors_.add(1);
        database_up_.set(0);
        context_.logger().warning("database unavailable at start, retrying until it answers: connection=" + where +
                                  " error=" + last_error_);
        return;
    }
    database_up_.set(1);
    context_.logger().info(name_ + " ready: connection=" + where + " schema_version=" + std::to_string(schema_.version()) +
                           " generation=" + std::to_string(generation_));
}

bool ProjectionLoop::connect() {
    if (store_ && store_->usable()) return true;
    store_.reset();
    const auto now = Clock::now();
    if (now < next_connect_) return false;
    try {
        forget();
        store_ = open();
    } catch (const std::exception& e) {
        store_.reset();
        last_error_ = one_line(e.what());
        was_down_ = true;
        database_up_.set(0);
        next_connect_ = now + database_.reconnect_interval;
        db_errors_.add(1);
        context_.logger().warning("cannot reach the database, next attempt in " +
                                  std::to_string(database_.reconnect_interval.count()) + "ms: " + last_error_);
        return false;
    }
    if (was_down_) {
        reconnects_.add(1);
        context_.logger().info("database connection restored: " + redacted(database_.connection));
    }
    was_down_ = false;
    database_up_.set(1);
    return true;
}

void ProjectionLoop::guard_generation() {
    if (database_.rebuild || !generations_) return;
    const int live = generations_->live_for_write();
    if (live == generation_) return;
    generation_moved_ = true;
    throw ConcurrentChange("generation " + std::to_string(live) + " of " + name_ +
                           " was made live by a rebuild; reading its checkpoints");
}

void ProjectionLoop::after_failure() noexcept {
    forget();  // the batch rolled back, or another writer moved a row
    if (open_.batches > 0) {
        // Earlier batches were reported done: the host must deliver them again.
        lost_ = true;
        repositioning_ = true;
    }
    open_ = {};
    if (store_ && !store_->rollback()) {
        store_.reset();  // reconnect on the next call
        was_down_ = true;
        database_up_.set(0);
    }
    if (generation_moved_) {
        // Connect to the live generation and read the positions there.
        generation_moved_ = false;
        store_.reset();
        lost_ = true;
        repositioning_ = true;
    }
}

std::vector<std::int64_t> ProjectionLoop::load_positions(std::span<const TopicPartition> partitions) {
    if (open_.active) commit_open();  // the load is a transaction of its own
    if (!store_) throw std::runtime_error("database unavailable: " + last_error_);
    std::vector<std::int64_t> offsets = store_->load_checkpoints(group_, partitions);
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        positions_[{partitions[i].topic, partitions[i].partition}] = offsets[i];
    }
    return offsets;
}

std::vector<PartitionOffset> ProjectionLoop::on_assigned(std::span<const TopicPartition> partitions) {
    if (!connect()) throw std::runtime_error("database unavailable: " + last_error_);
    std::vector<std::int64_t> offsets;
    try {
        if (repositioning_) {
            // The host reads every assigned partition again: the others are gone.
            std::erase_if(positions_, [&](const auto& entry) {
                return std::none_of(partitions.begin(), partitions.end(), [&](const TopicPartition& tp) {
                    return tp.partition == entry.first.second && tp.topic == entry.first.first;
                });
            });
        }
        offsets = load_positions(partitions);
        repositioning_ = false;
    } catch (const std::exception& e) {
        db_errors_.add(1);
        after_failure();
        throw std::runtime_error("loading checkpoints failed: " + one_line(e.what()));
    }
    std::vector<PartitionOffset> out;
    std::string resumed;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        out.push_back({partitions[i].topic, partitions[i].partition, offsets[i]});
        resumed += (resumed.empty() ? "" : ",") + partition_name(partitions[i].topic, partitions[i].partition) + "@" +
                   (offsets[i] == k_no_checkpoint ? std::string("none") : std::to_string(offsets[i]));
    }
    context_.logger().info("checkpoints loaded: " + resumed);
    return out;
}

void ProjectionLoop::on_revoked(std::span<const TopicPartition> partitions) {
    if (open_.active) commit_open();  // before their next owner writes those rows
    forget();
    for (const TopicPartition& tp : partitions) {
        const auto it = positions_.find(std::pair<std::string_view, std::int32_t>{tp.topic, tp.partition});
        if (it != positions_.end()) positions_.erase(it);
    }
}

bool ProjectionLoop::know_every_partition(std::span<const Event* const> events) {
    std::vector<TopicPartition> unknown;
    for (const Event* e : events) {
        const std::pair<std::string_view, std::int32_t> key{e->topic(), e->partition()};
        if (positions_.find(key) != positions_.end()) continue;
        if (std::none_of(unknown.begin(), unknown.end(), [&](const TopicPartition& tp) {
                return tp.partition == key.second && tp.topic == key.first;
            })) {
            unknown.push_back({std::string(key.first), key.second});
        }
    }
    if (unknown.empty()) return true;
    if (!connect()) return false;
    try {
        load_positions(unknown);  // the host always assigns first; this is a fallback
        return true;
    } catch (const std::exception& e) {
        last_error_ = one_line(e.what());
        db_errors_.add(1);
        after_failure();
        return false;
    }
}

void ProjectionLoop::retry_accepted(std::span<Outcome> outcomes, const std::string& reason) {
    for (const std::size_t i : accepted_index_) outcomes[i] = Outcome::retry_later(reason);
}

bool ProjectionLoop::select(std::span<const Event* const> events, std::span<Outcome> outcomes) {
    accepted_.clear();
    accepted_index_.clear();
    accepted_slot_.clear();
    advances_.clear();
    if (repositioning_) {
        for (auto& o : outcomes) o = Outcome::retry_later("rolled back: reading the checkpoints again");
        return false;
    }
    if (rebuilt_) {
        for (auto& o : outcomes) {
            o = Outcome::retry_later("rebuild finished: generation " + std::to_string(generation_) +
                                     " is live and its live instance goes on with it");
        }
        return false;
    }
    if (!know_every_partition(events)) {
        for (auto& o : outcomes) o = Outcome::retry_later("database unavailable: " + last_error_);
        return false;
    }

    std::uint64_t replayed = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = *events[i];
        const auto position = positions_.find(std::pair<std::string_view, std::int32_t>{e.topic(), e.partition()});
        const std::int64_t expected = position->second;
        if (expected != k_no_checkpoint && e.offset() < expected) {
            ++replayed;  // committed before a crash; the Kafka offset lagged behind
            continue;
        }
        std::size_t slot = 0;
        while (slot < advances_.size() &&
               (advances_[slot].partition != e.partition() || advances_[slot].topic != e.topic())) {
            ++slot;
        }
        if (slot == advances_.size()) advances_.push_back({position->first.first, e.partition(), expected, expected});
        accepted_.push_back(&e);
        accepted_index_.push_back(i);
        accepted_slot_.push_back(slot);
    }
    duplicates_.add(replayed);
    if (accepted_.empty()) return false;

    if (!connect()) {
        retry_accepted(outcomes, "database unavailable: " + last_error_);
        return false;
    }
    return true;
}

bool ProjectionLoop::advance(std::span<Outcome> outcomes) {
    if (store_->advance(group_, advances_)) return true;
    std::string which;
    for (const auto& a : advances_) {
        which += (which.empty() ? "" : ",") + partition_name(a.topic, a.partition) + "@" + std::to_string(a.expected);
    }
    after_failure();
    fenced_.add(1);
    const std::string reason =
        "fenced: the checkpoint of " + which + " moved (another consumer of group " + group_ + " owns it now)";
    context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) + " events rolled back");
    retry_accepted(outcomes, reason);
    return false;
}

void ProjectionLoop::concurrent_change(std::span<Outcome> outcomes, const ConcurrentChange& e) {
    after_failure();
    fenced_.add(1);
    const std::string reason = "concurrent writer: " + one_line(e.what());
    context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) + " events rolled back");
    retry_accepted(outcomes, reason);
}

void ProjectionLoop::database_error(std::span<Outcome> outcomes, const std::exception& e) {
    after_failure();
    db_errors_.add(1);
    const std::string reason = "database error: " + one_line(e.what());
    context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) + " events will be retried");
    retry_accepted(outcomes, reason);
}

void ProjectionLoop::advance_positions() noexcept {
    for (const CheckpointAdvance& a : advances_) {
        positions_.find(std::pair<std::string_view, std::int32_t>{a.topic, a.partition})->second = a.next;
    }
}

void ProjectionLoop::began_transaction() noexcept {
    open_ = {};
    open_.active = true;
    open_.since = Clock::now();
}

void ProjectionLoop::wrote_batch(std::uint64_t rows) noexcept {
    ++open_.batches;
    open_.events += accepted_.size();
    open_.rows += rows;
}

Checkpointing::Durability ProjectionLoop::between_batches(bool idle) {
    if (open_.active && (idle || open_.events >= database_.commit_max_events ||
                         Clock::now() - open_.since >= database_.commit_max_delay)) {
        commit_open();
    }
    if (!open_.active && generations_ && Clock::now() >= next_generation_check_) {
        next_generation_check_ = Clock::now() + std::chrono::seconds(1);
        check_generation();
    }
    if (!lost_) return Durability::kept;
    lost_ = false;
    return Durability::lost;
}

void ProjectionLoop::commit_open() noexcept {
    const OpenTransaction done = open_;
    try {
        store_->commit();
    } catch (const std::exception& e) {
        last_error_ = one_line(e.what());
        // The outcome of the COMMIT is unknown: the positions are read again
        // (after_failure: lost) either way.
        after_failure();
        db_errors_.add(1);
        context_.logger().warning("database error at COMMIT: " + last_error_ + "; the " + std::to_string(done.batches) +
                                  " batch(es) (" + std::to_string(done.events) +
                                  " events) since the last commit are read again from the checkpoints");
        return;
    }
    open_ = {};
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - done.since).count();
    commits_.add(1);
    batches_.add(done.batches);
    rows_written_.add(done.rows);
    transaction_us_.add(static_cast<std::uint64_t>(us));
    last_transaction_ms_.set(static_cast<double>(us) / 1000.0);
}

void ProjectionLoop::check_generation() noexcept {
    // generations_ may use the store's session: only with a usable store.
    if (!store_ || !store_->usable()) return;
    try {
        if (database_.rebuild) {
            if (rebuilt_) return;
            const std::vector<StoredCheckpoint> built =
                generations_->checkpoints(database_, generation_, store_->checkpoint_table(), group_);
            if (generations_->switch_if_caught_up(database_, generation_, store_->checkpoint_table(), group_, built,
                                                  database_.retire_after)) {
                rebuilt_ = true;
                rebuild_state_.set(2);
                context_.logger().info("generation " + std::to_string(generation_) + " of " + name_ +
                                       " caught up and is live now; the previous one is dropped in " +
                                       std::to_string(database_.retire_after.count()) + " s");
            }
            return;
        }
        const GenerationPointer pointer = generations_->read();
        rebuild_pending_.set(pointer.building ? 1 : 0);
        if (pointer.live != generation_) {
            // A rebuild made another generation live: go on there, from its checkpoints.
            context_.logger().info("generation " + std::to_string(pointer.live) + " of " + name_ +
                                   " was made live by a rebuild; reading its checkpoints");
            forget();
            store_.reset();
            base_.reset();
            generations_.reset();
            lost_ = true;
            repositioning_ = true;
            return;
        }
        std::vector<std::string> keep{schema_.version_table};
        if (const std::optional<int> dropped = generations_->drop_retired(database_, keep)) {
            context_.logger().info("generation " + std::to_string(*dropped) + " of " + name_ +
                                   " dropped: its grace period after the switch is over");
        }
    } catch (const std::exception& e) {
        context_.logger().warning("checking the generations of " + name_ + " failed (tried again in 1 s): " +
                                  one_line(e.what()));
        if (!store_->usable()) store_.reset();
    }
}

void ProjectionLoop::log_rejected(const Event& e, const std::string& reason) {
    if (!context_.logger().enabled(LogLevel::debug)) return;
    context_.logger().debug("rejected topic=" + std::string(e.topic()) + " partition=" + std::to_string(e.partition()) +
                            " offset=" + std::to_string(e.offset()) + " reason=" + reason);
}

void ProjectionLoop::count(std::uint64_t applied, std::uint64_t duplicates, std::uint64_t ignored,
                           std::uint64_t rejected) {
    applied_.add(applied);
    duplicates_.add(duplicates);
    ignored_.add(ignored);
    rejected_.add(rejected);
}

}  // namespace fanout::sql
