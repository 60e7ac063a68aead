#include "e2e_stages.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

namespace fanout::bench {

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

rd_kafka_t* as_rk(void* p) { return static_cast<rd_kafka_t*>(p); }

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka property ") + key + ": " + err);
    }
}

}  // namespace

TopicWatcher::TopicWatcher(const std::string& brokers, const std::string& topic, std::set<std::string> keys)
    : keys_(std::move(keys)) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "group.id", "e2e-bench-watcher");  // assign() only: nothing is committed
    set(conf, "enable.auto.commit", "false");
    set(conf, "fetch.wait.max.ms", "100");
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("cannot create the watcher consumer: ") + err);
    }
    consumer_ = rk;
    rd_kafka_poll_set_consumer(rk);

    // Start at each partition's end as it is now, resolved before any probe is sent.
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, t, &md, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt == 0) {
        if (md) rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
        throw std::runtime_error("no metadata for topic " + topic);
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        const std::int32_t p = md->topics[0].partitions[i].id;
        std::int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error("no watermarks for " + topic);
        }
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = high;
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    thread_ = std::thread([this] { run(); });
}

TopicWatcher::~TopicWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    rd_kafka_consumer_close(as_rk(consumer_));
    rd_kafka_destroy(as_rk(consumer_));
}

void TopicWatcher::run() {
    while (!stop_) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(as_rk(consumer_), 100);
        if (m == nullptr) continue;
        const std::int64_t seen = now_us();
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key != nullptr) {
            std::string key(static_cast<const char*>(m->key), m->key_len);
            if (keys_.count(key) != 0) {
                rapidjson::Document doc;
                doc.Parse(static_cast<const char*>(m->payload), m->len);
                if (doc.IsObject() && doc.HasMember("version") && doc["version"].IsInt64()) {
                    rd_kafka_timestamp_type_t type;
                    const std::int64_t ts = rd_kafka_message_timestamp(m, &type);
                    std::lock_guard lock(mutex_);
                    seen_.try_emplace({std::move(key), doc["version"].GetInt64()},
                                      TopicSighting{m->partition, m->offset, ts, seen});
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
}

TopicSighting TopicWatcher::find(const std::string& key, std::int64_t version) const {
    std::lock_guard lock(mutex_);
    const auto it = seen_.find({key, version});
    return it == seen_.end() ? TopicSighting{} : it->second;
}

CheckpointWatcher::CheckpointWatcher(const std::filesystem::path& database, const std::string& topic, int poll_us)
    : thread_([this, database, topic, poll_us] { run(database, topic, poll_us); }) {}

CheckpointWatcher::~CheckpointWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void CheckpointWatcher::run(std::filesystem::path database, std::string topic, int poll_us) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT partition_id, next_offset FROM checkpoints WHERE topic = ?", -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, topic.c_str(), -1, SQLITE_TRANSIENT);
    std::map<std::int32_t, std::int64_t> last;
    while (!stop_) {
        while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
            const auto p = static_cast<std::int32_t>(sqlite3_column_int(stmt, 0));
            const std::int64_t next = sqlite3_column_int64(stmt, 1);
            auto [it, added] = last.try_emplace(p, next);
            if (!added && it->second == next) continue;
            it->second = next;
            std::lock_guard lock(mutex_);
            history_[p].emplace_back(next, now_us());
        }
        if (stmt != nullptr) sqlite3_reset(stmt);
        std::this_thread::sleep_for(std::chrono::microseconds(poll_us));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

std::int64_t CheckpointWatcher::committed_us(std::int32_t partition, std::int64_t offset) const {
    std::lock_guard lock(mutex_);
    const auto it = history_.find(partition);
    if (it == history_.end()) return -1;
    for (const auto& [next, at] : it->second) {
        if (next > offset) return at;
    }
    return -1;
}

BatchLog::BatchLog(const std::filesystem::path& log, const std::string& plugin, const std::string& topic) {
    std::ifstream in(log);
    const std::string marker = "[" + plugin + "] batch handed at_us=";
    const std::regex span_re(R"(([^,/ ]+)/(-?[0-9]+):([0-9]+)-([0-9]+))");
    std::string line;
    while (std::getline(in, line)) {
        const auto at = line.find(marker);
        if (at == std::string::npos) continue;
        ++batches_;
        const std::int64_t at_us = std::stoll(line.substr(at + marker.size()));
        const auto spans_at = line.find("spans=", at);
        if (spans_at == std::string::npos) continue;
        const std::string spans = line.substr(spans_at + 6);
        for (auto it = std::sregex_iterator(spans.begin(), spans.end(), span_re); it != std::sregex_iterator(); ++it) {
            if ((*it)[1].str() != topic) continue;
            spans_[std::stoi((*it)[2].str())].push_back(
                Span{std::stoll((*it)[3].str()), std::stoll((*it)[4].str()), at_us});
        }
    }
}

std::int64_t BatchLog::handed_us(std::int32_t partition, std::int64_t offset) const {
    const auto it = spans_.find(partition);
    if (it == spans_.end()) return -1;
    for (const Span& s : it->second) {
        if (s.first <= offset && offset <= s.last) return s.at_us;
    }
    return -1;
}

}  // namespace fanout::bench
