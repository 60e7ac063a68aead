#include "harness.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <sstream>
#include <stdexcept>

namespace fanout::test {

std::vector<GeneratedEvent> produce_events(const std::string& topic, std::size_t count, std::size_t posts,
                                           std::size_t flush_every) {
    EventGenerator gen(posts);
    TestProducer producer;
    std::vector<GeneratedEvent> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(gen.next());
        producer.produce(topic, out.back().key, out.back().value, out.back().headers);
        if (flush_every > 0 && (i + 1) % flush_every == 0) producer.flush();
    }
    producer.flush();
    return out;
}

std::multiset<Coordinate> audit_coordinates(const std::filesystem::path& file) {
    std::multiset<Coordinate> out;
    for (const auto& line : read_lines(file)) {
        const auto p = line.find("\"partition\":");
        const auto o = line.find("\"offset\":");
        if (p == std::string::npos || o == std::string::npos) continue;  // torn last line after kill -9
        out.emplace(std::stoi(line.substr(p + 12)), std::stoll(line.substr(o + 9)));
    }
    return out;
}

std::vector<Delivery> read_deliveries(const std::filesystem::path& file) {
    std::vector<Delivery> out;
    for (const auto& line : read_lines(file)) {
        std::istringstream in(line);
        Delivery d;
        if (in >> d.topic >> d.partition >> d.offset >> d.key >> d.outcome) {
            in >> d.batch;
            out.push_back(d);
        }
    }
    return out;
}

std::set<Coordinate> all_coordinates(const std::vector<std::int64_t>& end_offsets) {
    std::set<Coordinate> out;
    for (std::size_t p = 0; p < end_offsets.size(); ++p) {
        for (std::int64_t o = 0; o < end_offsets[p]; ++o) out.emplace(static_cast<std::int32_t>(p), o);
    }
    return out;
}

namespace {

struct AdminClient {
    rd_kafka_t* rk = nullptr;
    rd_kafka_queue_t* queue = nullptr;
    AdminClient() {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char err[512];
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers().c_str(), err, sizeof err);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (rk == nullptr) throw std::runtime_error(std::string("admin client: ") + err);
        queue = rd_kafka_queue_new(rk);
    }
    ~AdminClient() {
        rd_kafka_queue_destroy(queue);
        rd_kafka_destroy(rk);
    }
    /// The result event of the request just sent (throws on timeout).
    std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> wait() {
        rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30'000);
        if (ev == nullptr) throw std::runtime_error("admin request timed out");
        if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const std::string what = rd_kafka_event_error_string(ev);
            rd_kafka_event_destroy(ev);
            throw std::runtime_error("admin request failed: " + what);
        }
        return {ev, &rd_kafka_event_destroy};
    }
};

}  // namespace

void create_topic_with_config(const std::string& topic, int partitions,
                              const std::vector<std::pair<std::string, std::string>>& config) {
    AdminClient admin;
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error(err);
    for (const auto& [k, v] : config) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    rd_kafka_CreateTopics(admin.rk, &nt, 1, nullptr, admin.queue);
    rd_kafka_NewTopic_destroy(nt);
    auto ev = admin.wait();
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
    for (std::size_t i = 0; i < n; ++i) {
        if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error("create topic " + topic + ": " + rd_kafka_topic_result_error_string(results[i]));
        }
    }
    KafkaAdmin().create_topic(topic, partitions);  // exists already: waits for the leaders
}

void recreate_topic(const std::string& topic, int partitions) {
    {
        AdminClient admin;
        rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
        rd_kafka_DeleteTopics(admin.rk, &request, 1, nullptr, admin.queue);
        rd_kafka_DeleteTopic_destroy(request);
        auto ev = admin.wait();
        std::size_t n = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
        for (std::size_t i = 0; i < n; ++i) {
            if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw std::runtime_error("delete topic " + topic + ": " +
                                         rd_kafka_topic_result_error_string(results[i]));
            }
        }
    }
    // The deletion completes in the background: create until the broker takes it.
    std::string last_error;
    const bool created = wait_until(
        [&] {
            AdminClient admin;
            char err[512];
            rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
            rd_kafka_CreateTopics(admin.rk, &nt, 1, nullptr, admin.queue);
            rd_kafka_NewTopic_destroy(nt);
            auto ev = admin.wait();
            std::size_t n = 0;
            const rd_kafka_topic_result_t** results =
                rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
            if (n == 1 && rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                last_error = rd_kafka_topic_result_error_string(results[0]);
                return false;
            }
            return true;
        },
        std::chrono::seconds(30));
    if (!created) throw std::runtime_error("recreate topic " + topic + ": " + last_error);
    KafkaAdmin().create_topic(topic, partitions);  // waits for the leaders
    const bool empty = wait_until([&] { return watermarks(topic, 0).second == 0; }, std::chrono::seconds(30));
    if (!empty) throw std::runtime_error("recreate topic " + topic + ": not empty");
}

std::int64_t delete_records_before(const std::string& topic, std::int32_t partition, std::int64_t before) {
    AdminClient admin;
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = before;
    rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets);
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_DeleteRecords(admin.rk, &request, 1, nullptr, admin.queue);
    rd_kafka_DeleteRecords_destroy(request);
    auto ev = admin.wait();
    const rd_kafka_topic_partition_list_t* result =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev.get()));
    if (result == nullptr || result->cnt != 1) throw std::runtime_error("DeleteRecords: no result");
    if (result->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("DeleteRecords: ") + rd_kafka_err2str(result->elems[0].err));
    }
    return result->elems[0].offset;
}

std::pair<std::int64_t, std::int64_t> watermarks(const std::string& topic, std::int32_t partition) {
    AdminClient admin;
    std::int64_t low = -1, high = -1;
    const rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(admin.rk, topic.c_str(), partition, &low, &high, 10'000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
    return {low, high};
}

bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions) {
    return admin.committed(group, topic, partitions) == admin.end_offsets(topic, partitions);
}

}  // namespace fanout::test
