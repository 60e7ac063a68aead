#include "analytics_plugin.hpp"

#include <algorithm>
#include <stdexcept>

#include "fanout/sql/errors.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::plugins::analytics {
namespace {

using sql::is_transient;
using sql::one_line;

std::string partition_name(std::string_view topic, std::int32_t partition) {
    return std::string(topic) + "[" + std::to_string(partition) + "]";
}

}  // namespace

AnalyticsPlugin::AnalyticsPlugin(Settings settings, Context& context)
    : settings_(std::move(settings)),
      context_(context),
      group_(context.consumer_group()),
      applied_(context.counter("applied")),
      duplicates_(context.counter("duplicates")),
      ignored_(context.counter("ignored")),
      rejected_(context.counter("rejected")),
      unknown_posts_(context.counter("unknown_posts")),
      fenced_(context.counter("fenced")),
      db_errors_(context.counter("db_errors")) {}

void AnalyticsPlugin::start() {
    const std::string where = sql::redacted(settings_.database.connection);
    try {
        store_ = open_store(settings_);
    } catch (const std::exception& e) {
        if (!is_transient(e.what())) {
            throw std::runtime_error("cannot use the analytics database " + where + ": " + one_line(e.what()));
        }
        last_error_ = one_line(e.what());
        was_down_ = true;
        next_connect_ = Clock::now() + settings_.database.reconnect_interval;
        db_errors_.add(1);
        context_.logger().warning("database unavailable at start, retrying until it answers: connection=" + where +
                                  " error=" + last_error_);
        return;
    }
    context_.logger().info("analytics ready: connection=" + where +
                           " schema_version=" + std::to_string(k_schema_version));
}

bool AnalyticsPlugin::connect() {
    if (store_ && store_->usable()) return true;
    store_.reset();
    const auto now = Clock::now();
    if (now < next_connect_) return false;
    try {
        store_ = open_store(settings_);
        if (resync_ && !positions_.empty()) {
            std::vector<TopicPartition> known;
            for (const auto& [key, offset] : positions_) known.push_back({key.first, key.second});
            load_positions(known);
        }
        resync_ = false;
    } catch (const std::exception& e) {
        store_.reset();
        last_error_ = one_line(e.what());
        was_down_ = true;
        next_connect_ = now + settings_.database.reconnect_interval;
        db_errors_.add(1);
        context_.logger().warning("cannot reach the database, next attempt in " +
                                  std::to_string(settings_.database.reconnect_interval.count()) + "ms: " + last_error_);
        return false;
    }
    if (was_down_)
        context_.logger().info("database connection restored: " + sql::redacted(settings_.database.connection));
    was_down_ = false;
    return true;
}

void AnalyticsPlugin::after_failure() noexcept {
    if (store_ && !store_->rollback()) {
        store_.reset();  // reconnect on the next call
        was_down_ = true;
    }
}

std::vector<std::int64_t> AnalyticsPlugin::load_positions(std::span<const TopicPartition> partitions) {
    std::vector<std::int64_t> offsets = store_->load_checkpoints(group_, partitions);
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        positions_[{partitions[i].topic, partitions[i].partition}] = offsets[i];
    }
    return offsets;
}

std::vector<PartitionOffset> AnalyticsPlugin::on_assigned(std::span<const TopicPartition> partitions) {
    if (!connect()) throw std::runtime_error("database unavailable: " + last_error_);
    std::vector<std::int64_t> offsets;
    try {
        offsets = load_positions(partitions);
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

void AnalyticsPlugin::on_revoked(std::span<const TopicPartition> partitions) {
    for (const TopicPartition& tp : partitions) {
        const auto it = positions_.find(std::pair<std::string_view, std::int32_t>{tp.topic, tp.partition});
        if (it != positions_.end()) positions_.erase(it);
    }
}

bool AnalyticsPlugin::know_every_partition(std::span<const Event* const> events) {
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

void AnalyticsPlugin::retry_accepted(std::span<Outcome> outcomes, const std::string& reason) {
    for (const std::size_t i : accepted_index_) outcomes[i] = Outcome::retry_later(reason);
}

void AnalyticsPlugin::handle(std::span<const Event* const> events, std::span<Outcome> outcomes) {
    accepted_.clear();
    accepted_index_.clear();
    accepted_slot_.clear();
    advances_.clear();
    if (!know_every_partition(events)) {
        for (auto& o : outcomes) o = Outcome::retry_later("database unavailable: " + last_error_);
        return;
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
    if (accepted_.empty()) return;

    if (!connect()) {
        retry_accepted(outcomes, "database unavailable: " + last_error_);
        return;
    }
    bool committing = false;
    try {
        const std::vector<std::string_view>& ids = projection_.prepare(accepted_);
        store_->begin();
        store_->load(ids, stored_);
        store_->write(projection_.project(stored_, verdicts_));

        // A partition's checkpoint stops at its first rejected event: the
        // host may fail to dead-letter it and redeliver it, which must not
        // look like a replay. Later events are applied now and are
        // duplicates by version if they come again.
        std::vector<bool> stopped(advances_.size(), false);
        for (std::size_t k = 0; k < accepted_.size(); ++k) {
            const std::size_t slot = accepted_slot_[k];
            if (stopped[slot]) continue;
            if (verdicts_[k].kind == Verdict::Kind::rejected) {
                advances_[slot].next = accepted_[k]->offset();
                stopped[slot] = true;
            } else {
                advances_[slot].next = accepted_[k]->offset() + 1;
            }
        }
        if (!store_->advance(group_, advances_)) {
            after_failure();
            fenced_.add(1);
            std::string which;
            for (const auto& a : advances_) {
                which += (which.empty() ? "" : ",") + partition_name(a.topic, a.partition) + "@" +
                         std::to_string(a.expected);
            }
            const std::string reason =
                "fenced: the checkpoint of " + which + " moved (another consumer of group " + group_ + " owns it now)";
            context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) +
                                      " events rolled back");
            retry_accepted(outcomes, reason);
            return;
        }
        committing = true;
        store_->commit();
    } catch (const ConcurrentChange& e) {
        after_failure();
        fenced_.add(1);
        const std::string reason = "concurrent writer: " + one_line(e.what());
        context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) + " events rolled back");
        retry_accepted(outcomes, reason);
        return;
    } catch (const std::exception& e) {
        after_failure();
        // The connection died during COMMIT: it may have landed. Re-read the
        // positions after reconnecting, or the next batch would look fenced.
        if (committing && !store_) resync_ = true;
        db_errors_.add(1);
        const std::string reason = "database error: " + one_line(e.what());
        context_.logger().warning(reason + "; batch of " + std::to_string(accepted_.size()) +
                                  " events will be retried");
        retry_accepted(outcomes, reason);
        return;
    }
    commit_batch(outcomes);
}

void AnalyticsPlugin::commit_batch(std::span<Outcome> outcomes) {
    for (const CheckpointAdvance& a : advances_) {
        positions_.find(std::pair<std::string_view, std::int32_t>{a.topic, a.partition})->second = a.next;
    }
    std::uint64_t counts[4] = {0, 0, 0, 0};
    std::uint64_t unknown = 0;
    for (std::size_t k = 0; k < accepted_.size(); ++k) {
        Verdict& v = verdicts_[k];
        ++counts[static_cast<int>(v.kind)];
        if (v.unknown_post) ++unknown;
        if (v.kind == Verdict::Kind::rejected) {
            if (context_.logger().enabled(LogLevel::debug)) {
                const Event& e = *accepted_[k];
                context_.logger().debug("rejected topic=" + std::string(e.topic()) +
                                        " partition=" + std::to_string(e.partition()) +
                                        " offset=" + std::to_string(e.offset()) + " reason=" + v.reason);
            }
            outcomes[accepted_index_[k]] = Outcome::reject(std::move(v.reason));
        }
    }
    applied_.add(counts[static_cast<int>(Verdict::Kind::applied)]);
    duplicates_.add(counts[static_cast<int>(Verdict::Kind::duplicate)]);
    ignored_.add(counts[static_cast<int>(Verdict::Kind::ignored)]);
    rejected_.add(counts[static_cast<int>(Verdict::Kind::rejected)]);
    unknown_posts_.add(unknown);
}

}  // namespace fanout::plugins::analytics
