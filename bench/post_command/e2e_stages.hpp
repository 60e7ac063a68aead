#pragma once
// Where a probe event is on its way from the event store to the Query API,
// observed from outside the processes, without changing what they run:
//
//   stored     the likePost response arrived (the event is committed)
//   produced   the record's CreateTime: the relay's producer took it
//   published  a consumer of the bench read it from the topic (the broker
//              appended it and any consumer could fetch it)
//   consumed   fanoutd handed the batch holding it to the plugin (fanoutd's
//              debug line "batch handed at_us=… spans=topic/p:first-last")
//   committed  the read model's checkpoint for its partition moved past it
//              (written in the same transaction as the like)
//   visible    the Query API shows the like
//
// Every time is wall clock in microseconds since the epoch (the processes
// share the host's clock).
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fanout::bench {

std::int64_t now_us();

/// Where and when the bench's own consumer saw a record of a watched key.
struct TopicSighting {
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::int64_t created_ms = -1;  ///< record timestamp (CreateTime, set by the relay's producer)
    std::int64_t seen_us = -1;
};

/// Reads every partition of `topic` from its current end, in a thread, and
/// remembers the records whose key is one of `keys` by (key, envelope version).
class TopicWatcher {
public:
    TopicWatcher(const std::string& brokers, const std::string& topic, std::set<std::string> keys);
    ~TopicWatcher();
    TopicWatcher(const TopicWatcher&) = delete;
    TopicWatcher& operator=(const TopicWatcher&) = delete;

    /// The sighting of `key` at `version`, or one with partition -1.
    TopicSighting find(const std::string& key, std::int64_t version) const;

private:
    void run();

    std::set<std::string> keys_;
    void* consumer_ = nullptr;  // rd_kafka_t
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::int64_t>, TopicSighting> seen_;
    std::thread thread_;
};

/// Polls the read model's checkpoint table (SQLite, read only) and keeps
/// every advance of each partition's next offset with the time it was seen.
class CheckpointWatcher {
public:
    CheckpointWatcher(const std::filesystem::path& database, const std::string& topic, int poll_us);
    ~CheckpointWatcher();
    CheckpointWatcher(const CheckpointWatcher&) = delete;
    CheckpointWatcher& operator=(const CheckpointWatcher&) = delete;

    /// When the checkpoint of `partition` was first seen past `offset`, or -1.
    std::int64_t committed_us(std::int32_t partition, std::int64_t offset) const;

private:
    void run(std::filesystem::path database, std::string topic, int poll_us);

    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::map<std::int32_t, std::vector<std::pair<std::int64_t, std::int64_t>>> history_;  // next offset, seen at
    std::thread thread_;
};

/// fanoutd's "batch handed" debug lines of one plugin, read from its log.
class BatchLog {
public:
    BatchLog(const std::filesystem::path& log, const std::string& plugin, const std::string& topic);
    /// When the first batch holding (partition, offset) was handed to the plugin, or -1.
    std::int64_t handed_us(std::int32_t partition, std::int64_t offset) const;
    std::size_t batches() const { return batches_; }

private:
    struct Span {
        std::int64_t first, last, at_us;
    };
    std::map<std::int32_t, std::vector<Span>> spans_;
    std::size_t batches_ = 0;
};

}  // namespace fanout::bench
