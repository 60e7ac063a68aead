#pragma once
// fanout::testing::BatchDriver: a Plugin driven the way fanoutd drives it,
// over topics held in memory.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fanout/outcome.hpp"
#include "fanout/plugin.hpp"
#include "fanout/support/handle_batch.hpp"
#include "fanout/testing/fake_event.hpp"

namespace fanout::testing {

/// One delivery of one event and what the plugin made of it.
struct Delivery {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    Outcome outcome;
    std::size_t batch = 0;  ///< which handle() call (0-based)
    int attempt = 1;        ///< deliveries of this event so far, this one included
};

/// What fanoutd would have sent to the dead-letter topic.
struct DeadLetter {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string reason;  ///< `rejected: …` or `retries exhausted after n attempts: …`
};

/// One handle() followed, for a Checkpointing plugin, by between_batches(idle)
/// as fanoutd calls it (`idle`: no further event waits, so a group-committing
/// plugin commits now). Returns that answer (`kept` for other plugins).
inline Checkpointing::Durability handle_then_settle(Plugin& plugin, std::span<const Event* const> events,
                                                    std::span<Outcome> outcomes, bool idle = true) {
    plugin.handle(events, outcomes);
    Checkpointing* c = plugin.checkpointing();
    return c == nullptr ? Checkpointing::Durability::kept : c->between_batches(idle);
}

/// Drives one Plugin like fanoutd's pipeline does, without Kafka:
///  - publish() appends events to in-memory partitions, giving each the next
///    offset of its partition;
///  - assign() calls Checkpointing::on_assigned (when the plugin has it) and
///    starts each partition where the plugin says (k_no_checkpoint: at the
///    beginning); a plugin without it starts at the committed offset; an
///    answer of another size, or an offset outside the partition, throws
///    (fanoutd stops such a plugin);
///  - run() hands every pending event to handle() in batches of `batch_size`
///    (partitions interleaved, offsets in order within each), outcomes all
///    `done` on the way in; after each batch a partition moves past its done
///    and rejected events; a retry_later or failed holds that partition, and
///    everything after it, until the next run(), which delivers it again; the
///    max_attempts-th failed is dead-lettered, as fanoutd's default does (a
///    retry_later, an outage, never is); a throw from handle() reads as
///    failed for a batch of one, and a larger batch is retried one event at
///    a time, as fanoutd does;
///  - after each batch a Checkpointing plugin hears between_batches(idle),
///    idle when no event of an assigned, unheld partition waits (run() ends
///    idle, handle() calls it idle): a group-committing plugin commits then;
///    `lost` assigns every assigned partition again (their positions come
///    from on_assigned), as fanoutd does;
///  - revoke() calls on_revoked and forgets the partitions' positions.
/// The driver does not own the plugin, which must outlive it.
class BatchDriver {
public:
    explicit BatchDriver(Plugin& plugin, std::size_t batch_size = 100, int max_attempts = 5)
        : plugin_(&plugin), batch_size_(std::max<std::size_t>(batch_size, 1)), max_attempts_(max_attempts) {}

    void set_batch_size(std::size_t n) { batch_size_ = std::max<std::size_t>(n, 1); }
    /// Another plugin object from now on (a restart): assign() again to load its positions.
    void replace_plugin(Plugin& plugin) {
        plugin_ = &plugin;
        for (auto& [tp, p] : partitions_) p.position.reset();
    }

    // The topics.

    /// Appends `event` at the end of its topic and partition; returns the copy
    /// the plugin will see (its offset set).
    const FakeEvent& publish(const FakeEvent& event) {
        Partition& p = partitions_[{std::string(event.topic()), event.partition()}];
        p.log.push_back(
            event.at(std::string(event.topic()), event.partition(), static_cast<std::int64_t>(p.log.size())));
        return p.log.back();
    }
    const FakeEvent& publish(EventSpec spec) { return publish(FakeEvent(std::move(spec))); }
    /// Offset the next published event of that partition gets.
    std::int64_t end_offset(const std::string& topic, std::int32_t partition) const {
        const auto it = partitions_.find({topic, partition});
        return it == partitions_.end() ? 0 : static_cast<std::int64_t>(it->second.log.size());
    }

    // The consumer.

    /// Assigns `partitions`; returns where each starts (the plugin's answer
    /// for a Checkpointing plugin, else the committed offset).
    std::vector<PartitionOffset> assign(const std::vector<TopicPartition>& partitions) {
        std::vector<PartitionOffset> positions;
        if (Checkpointing* c = plugin_->checkpointing()) {
            positions = c->on_assigned(partitions);
        } else {
            for (const TopicPartition& tp : partitions) {
                const auto it = partitions_.find({tp.topic, tp.partition});
                const std::int64_t committed = it == partitions_.end() ? k_no_checkpoint : it->second.committed;
                positions.push_back({tp.topic, tp.partition, committed});
            }
        }
        // fanoutd stops a plugin that breaks on_assigned's contract: so does the driver.
        if (positions.size() != partitions.size()) {
            throw std::logic_error("on_assigned returned " + std::to_string(positions.size()) + " positions for " +
                                   std::to_string(partitions.size()) + " partitions");
        }
        for (const PartitionOffset& po : positions) {
            Partition& p = partitions_[{po.topic, po.partition}];
            const auto end = static_cast<std::int64_t>(p.log.size());
            if (po.next_offset != k_no_checkpoint && (po.next_offset < 0 || po.next_offset > end)) {
                throw std::out_of_range("on_assigned returned offset " + std::to_string(po.next_offset) + " for " +
                                        po.topic + "[" + std::to_string(po.partition) + "], outside [0, " +
                                        std::to_string(end) + "]");
            }
            p.position = po.next_offset == k_no_checkpoint ? 0 : po.next_offset;
        }
        return positions;
    }
    /// Assigns every partition published to that is not assigned yet.
    std::vector<PartitionOffset> assign_all() {
        std::vector<TopicPartition> todo;
        for (const auto& [tp, p] : partitions_) {
            if (!p.position) todo.push_back({tp.first, tp.second});
        }
        return todo.empty() ? std::vector<PartitionOffset>{} : assign(todo);
    }
    void revoke(const std::vector<TopicPartition>& partitions) {
        if (Checkpointing* c = plugin_->checkpointing()) c->on_revoked(partitions);
        for (const TopicPartition& tp : partitions) {
            if (auto it = partitions_.find({tp.topic, tp.partition}); it != partitions_.end())
                it->second.position.reset();
        }
    }
    void revoke_all() {
        std::vector<TopicPartition> assigned;
        for (const auto& [tp, p] : partitions_) {
            if (p.position) assigned.push_back({tp.first, tp.second});
        }
        if (!assigned.empty()) revoke(assigned);
    }

    /// Delivers every pending event of the assigned partitions (assigning all
    /// partitions first when none is); returns the number of deliveries.
    std::size_t run() {
        if (std::none_of(partitions_.begin(), partitions_.end(), [](const auto& e) { return e.second.position; })) {
            assign_all();
        }
        std::map<Key, bool> held;
        std::size_t delivered = 0;
        for (;;) {
            // Up to batch_size events, one partition after the other in turn.
            std::vector<const FakeEvent*> batch;
            std::map<Key, std::int64_t> next;
            for (auto& [tp, p] : partitions_) {
                if (p.position && !held[tp]) next[tp] = *p.position;
            }
            for (bool added = true; added && batch.size() < batch_size_;) {
                added = false;
                for (auto& [tp, at] : next) {
                    const Partition& p = partitions_[tp];
                    if (at < static_cast<std::int64_t>(p.log.size()) && batch.size() < batch_size_) {
                        batch.push_back(&p.log[static_cast<std::size_t>(at++)]);
                        added = true;
                    }
                }
            }
            if (batch.empty()) {
                settle(true);
                break;
            }
            std::vector<const Event*> events(batch.begin(), batch.end());
            std::vector<Outcome> outcomes(events.size());
            invoke(events, outcomes);
            const std::size_t batch_index = batches_++;
            std::map<Key, bool> blocked;
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const FakeEvent& e = *batch[i];
                const Key tp{std::string(e.topic()), e.partition()};
                const Outcome& o = outcomes[i];
                // Like fanoutd, only deliveries that are not done count as
                // attempts, and only failed ones toward max_attempts.
                const auto attempt_key = std::make_pair(tp, e.offset());
                const auto tried = attempts_.find(attempt_key);
                const Attempts before = tried == attempts_.end() ? Attempts{} : tried->second;
                const int attempt = before.deliveries + 1;
                deliveries_.push_back({tp.first, tp.second, e.offset(), o, batch_index, attempt});
                ++delivered;
                if (blocked[tp]) continue;
                Partition& p = partitions_[tp];
                const bool transient = o.kind() == Outcome::Kind::retry_later;
                const bool failed = o.kind() == Outcome::Kind::failed;
                if (transient || (failed && before.failures + 1 < max_attempts_)) {
                    attempts_[attempt_key] = {attempt, before.failures + (failed ? 1 : 0)};
                    blocked[tp] = held[tp] = true;
                    continue;
                }
                if (tried != attempts_.end()) attempts_.erase(tried);
                if (o.kind() == Outcome::Kind::reject) {
                    dead_letters_.push_back({tp.first, tp.second, e.offset(), "rejected: " + o.reason()});
                } else if (failed) {
                    dead_letters_.push_back(
                        {tp.first, tp.second, e.offset(),
                         "retries exhausted after " + std::to_string(attempt) + " attempts: " + o.reason()});
                }
                p.position = e.offset() + 1;
                p.committed = e.offset() + 1;
            }
            settle(!waiting(held));
        }
        return delivered;
    }

    /// One handle() call over `events` exactly as given (no positions, no
    /// retries); returns the outcomes.
    std::vector<Outcome> handle(std::span<const FakeEvent> events) {
        const auto ptrs = pointers(events);
        std::vector<Outcome> outcomes(events.size());
        invoke(ptrs, outcomes);
        ++batches_;
        settle(true);
        return outcomes;
    }

    /// Next offset run() delivers on that partition; nullopt when not assigned.
    std::optional<std::int64_t> position(const std::string& topic, std::int32_t partition) const {
        const auto it = partitions_.find({topic, partition});
        return it == partitions_.end() ? std::nullopt : it->second.position;
    }
    /// Offset stored after the last batch (what fanoutd commits to Kafka).
    std::int64_t committed(const std::string& topic, std::int32_t partition) const {
        const auto it = partitions_.find({topic, partition});
        return it == partitions_.end() ? k_no_checkpoint : it->second.committed;
    }
    /// Every delivery made by run(), in order.
    const std::vector<Delivery>& deliveries() const noexcept { return deliveries_; }
    /// The latest outcome of one event; nullopt when never delivered.
    std::optional<Outcome> outcome(const std::string& topic, std::int32_t partition, std::int64_t offset) const {
        for (auto it = deliveries_.rbegin(); it != deliveries_.rend(); ++it) {
            if (it->topic == topic && it->partition == partition && it->offset == offset) return it->outcome;
        }
        return std::nullopt;
    }
    const std::vector<DeadLetter>& dead_letters() const noexcept { return dead_letters_; }
    /// handle() calls so far.
    std::size_t batches() const noexcept { return batches_; }
    /// Times between_batches answered `lost` (every partition assigned again).
    std::size_t losses() const noexcept { return losses_; }

    /// between_batches(idle) of a Checkpointing plugin, as fanoutd calls it.
    void settle(bool idle) {
        Checkpointing* c = plugin_->checkpointing();
        if (c == nullptr || c->between_batches(idle) == Checkpointing::Durability::kept) return;
        ++losses_;
        std::vector<TopicPartition> assigned;
        for (const auto& [tp, p] : partitions_) {
            if (p.position) assigned.push_back({tp.first, tp.second});
        }
        if (!assigned.empty()) assign(assigned);
    }

private:
    using Key = std::pair<std::string, std::int32_t>;
    struct Partition {
        std::deque<FakeEvent> log;  // a deque: events stay where they are as the log grows
        std::optional<std::int64_t> position;
        std::int64_t committed = k_no_checkpoint;
    };

    /// An event of an assigned partition not held for a retry is waiting.
    template <class Held>
    bool waiting(Held& held) const {
        for (const auto& [tp, p] : partitions_) {
            if (p.position && !held[tp] && *p.position < static_cast<std::int64_t>(p.log.size())) return true;
        }
        return false;
    }

    void invoke(std::span<const Event* const> events, std::span<Outcome> outcomes) {
        support::handle_batch(*plugin_, events, outcomes, [](const std::string&, std::size_t) {});
    }

    Plugin* plugin_;
    std::size_t batch_size_;
    int max_attempts_;
    std::map<Key, Partition> partitions_;
    struct Attempts {
        int deliveries = 0;
        int failures = 0;
    };
    std::map<std::pair<Key, std::int64_t>, Attempts> attempts_;
    std::vector<Delivery> deliveries_;
    std::vector<DeadLetter> dead_letters_;
    std::size_t batches_ = 0;
    std::size_t losses_ = 0;
};

}  // namespace fanout::testing
