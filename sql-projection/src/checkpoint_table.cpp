#include "fanout/sql/checkpoint_table.hpp"

namespace fanout::sql {

std::string checkpoint_table_ddl(std::string_view table) {
    return "CREATE TABLE IF NOT EXISTS " + std::string(table) +
           " ("
           " consumer_group TEXT NOT NULL,"
           " topic TEXT NOT NULL,"
           " partition_id INTEGER NOT NULL,"
           " next_offset BIGINT NOT NULL,"
           " PRIMARY KEY (consumer_group, topic, partition_id))";
}

std::vector<std::int64_t> load_checkpoints(soci::session& sql, std::string_view table, std::string_view group_view,
                                           std::span<const TopicPartition> partitions) {
    const std::string group(group_view);
    const std::string insert = "INSERT INTO " + std::string(table) +
                               " (consumer_group, topic, partition_id, next_offset)"
                               " VALUES (:g, :t, :p, :o) ON CONFLICT DO NOTHING";
    const std::string select = "SELECT next_offset FROM " + std::string(table) +
                               " WHERE consumer_group = :g AND topic = :t AND partition_id = :p";
    std::vector<std::int64_t> out;
    out.reserve(partitions.size());
    soci::transaction tx(sql);
    for (const TopicPartition& tp : partitions) {
        const std::string& topic = tp.topic;
        const int partition = tp.partition;
        const long long none = k_no_checkpoint;
        sql << insert, soci::use(group), soci::use(topic), soci::use(partition), soci::use(none);
        long long next = k_no_checkpoint;
        sql << select, soci::into(next), soci::use(group), soci::use(topic), soci::use(partition);
        out.push_back(next < 0 ? k_no_checkpoint : static_cast<std::int64_t>(next));
    }
    tx.commit();
    return out;
}

}  // namespace fanout::sql
