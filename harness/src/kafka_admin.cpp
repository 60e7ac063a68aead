#include "fanout/harness/kafka_admin.hpp"

#include <stdexcept>
#include <thread>

namespace fanout::harness {
namespace {

using Clock = std::chrono::steady_clock;

/// Run one admin request on its own queue; its result event (caller
/// destroys), or nullptr at `timeout_ms`.
template <typename Start>
rd_kafka_event_t* admin_call(rd_kafka_t* rk, Start start, int timeout_ms) {
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    start(q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms);
    rd_kafka_queue_destroy(q);
    return ev;
}

}  // namespace

KafkaClient make_client(rd_kafka_type_t type, const std::string& brokers, const KafkaProperties& props,
                        const std::function<void(rd_kafka_conf_t*)>& configure) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error("librdkafka property " + k + "=" + v + ": " + err);
        }
    };
    set("bootstrap.servers", brokers);
    for (const auto& [k, v] : props) set(k, v);
    if (configure) configure(conf);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    }
    return KafkaClient(rk, &rd_kafka_destroy);
}

void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions, IfTopicExists if_exists) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error("create topic " + topic + ": " + err);
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q); }, 30'000);
    rd_kafka_NewTopic_destroy(nt);
    std::string failure = ev == nullptr ? "CreateTopics timed out" : "";
    if (ev != nullptr) {
        if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) failure = rd_kafka_event_error_string(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        for (size_t i = 0; i < n; ++i) {
            const auto e = rd_kafka_topic_result_error(results[i]);
            const bool accepted = e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && if_exists == IfTopicExists::accept;
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR && !accepted) failure = rd_kafka_topic_result_error_string(results[i]);
        }
        rd_kafka_event_destroy(ev);
    }
    if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
    if (!wait_for_topic(rk, topic, partitions, std::chrono::seconds(30))) {
        throw std::runtime_error("topic " + topic + " has no leaders after 30 s");
    }
}

void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics) {
    if (topics.empty()) return;
    std::vector<rd_kafka_DeleteTopic_t*> list;
    for (const auto& t : topics) list.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_DeleteTopics(rk, list.data(), list.size(), nullptr, q); }, 30'000);
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy_array(list.data(), list.size());
}

void delete_groups(rd_kafka_t* rk, const std::vector<std::string>& groups) {
    if (groups.empty()) return;
    std::vector<rd_kafka_DeleteGroup_t*> list;
    for (const auto& g : groups) list.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_DeleteGroups(rk, list.data(), list.size(), nullptr, q); }, 30'000);
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_DeleteGroup_destroy_array(list.data(), list.size());
}

int topic_partitions(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const auto& t = md->topics[0];
        bool leaders = true;
        for (int i = 0; i < t.partition_cnt; ++i) leaders = leaders && t.partitions[i].leader >= 0;
        n = leaders ? t.partition_cnt : 0;
    }
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return n;
}

bool wait_for_topic(rd_kafka_t* rk, const std::string& topic, int partitions, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (topic_partitions(rk, topic) != partitions) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions,
                                      std::chrono::milliseconds retry_for) {
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        const auto deadline = Clock::now() + retry_for;
        int64_t low = 0, high = 0;
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10'000)) !=
               RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (Clock::now() >= deadline) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        out.push_back(high);
    }
    return out;
}

std::vector<std::int64_t> committed_offsets(const std::string& brokers, const std::string& group,
                                            const std::string& topic, int partitions) {
    KafkaClient rk = make_client(RD_KAFKA_CONSUMER, brokers, {{"group.id", group}});
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    const auto e = rd_kafka_committed(rk.get(), list, 10'000);
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) out.push_back(list->elems[p].offset < 0 ? -1 : list->elems[p].offset);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(e));
    return out;
}

KafkaAdmin::KafkaAdmin(const std::string& brokers, const KafkaProperties& props)
    : brokers_(brokers), client_(make_client(RD_KAFKA_PRODUCER, brokers, props)) {}

}  // namespace fanout::harness
