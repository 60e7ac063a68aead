#pragma once
// A projection's Kafka positions, kept in its own database so that they move
// in the same transaction as the projected rows:
//
//   <table> (consumer_group TEXT, topic TEXT, partition_id INTEGER,
//            next_offset BIGINT, PRIMARY KEY (consumer_group, topic, partition_id))
//
// next_offset is the offset of the next event to apply (k_no_checkpoint:
// none applied yet). Each batch moves it from the offset the writer expects
// to the new one (SqliteCheckpoints, PostgresCheckpoints); a stale writer,
// whose partition moved to another consumer, finds another offset there and
// rolls its batch back.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <soci/soci.h>

#include "fanout/plugin.hpp"

namespace fanout::sql {

/// New position of one partition, written in the batch's transaction only
/// where the row still holds `expected` (fences a stale consumer).
struct CheckpointAdvance {
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t expected = -1;
    std::int64_t next = -1;
};

/// CREATE TABLE IF NOT EXISTS for a checkpoint table named `table`, for a
/// projection's migrations (same DDL on SQLite and PostgreSQL).
std::string checkpoint_table_ddl(std::string_view table);

/// next_offset per partition for `group` (k_no_checkpoint when none), in the
/// order of `partitions`; creates the missing rows, since an advance only
/// updates. Its own transaction. Throws soci::soci_error.
std::vector<std::int64_t> load_checkpoints(soci::session& session, std::string_view table, std::string_view group,
                                           std::span<const TopicPartition> partitions);

}  // namespace fanout::sql
