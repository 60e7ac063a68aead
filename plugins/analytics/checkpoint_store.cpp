// Loading checkpoints on partition assignment (SOCI, both backends). The
// per-batch advance is written by each backend's Store in the batch's own
// transaction.
#include <string>

#include "store.hpp"

namespace fanout::plugins::analytics {

std::vector<std::int64_t> Store::load_checkpoints(std::string_view group_view,
                                                  std::span<const TopicPartition> partitions) {
    soci::session& sql = *session_;
    const std::string group(group_view);
    std::vector<std::int64_t> out;
    out.reserve(partitions.size());
    soci::transaction tx(sql);
    for (const TopicPartition& tp : partitions) {
        const std::string& topic = tp.topic;
        const int partition = tp.partition;
        const long long none = k_no_checkpoint;
        // The row must exist before the first batch: advance() only updates.
        sql << "INSERT INTO analytics_checkpoints (consumer_group, topic, partition_id, next_offset)"
               " VALUES (:g, :t, :p, :o) ON CONFLICT DO NOTHING",
            soci::use(group), soci::use(topic), soci::use(partition), soci::use(none);
        long long next = k_no_checkpoint;
        sql << "SELECT next_offset FROM analytics_checkpoints WHERE consumer_group = :g AND topic = :t AND "
               "partition_id = :p",
            soci::into(next), soci::use(group), soci::use(topic), soci::use(partition);
        out.push_back(next < 0 ? k_no_checkpoint : static_cast<std::int64_t>(next));
    }
    tx.commit();
    return out;
}

}  // namespace fanout::plugins::analytics
