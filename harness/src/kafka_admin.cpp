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

/// Send one topic request (`send` queues it) and wait for its result
/// event. What went wrong: the last topic's error, else the request's; ""
/// when nothing did (`accept_exists`: a topic that exists is no error).
template <typename Send, typename Results>
std::string topic_request(rd_kafka_t* rk, const char* what, Send send, Results results_of, bool accept_exists) {
    rd_kafka_event_t* ev = admin_call(rk, send, 30'000);
    if (ev == nullptr) return std::string(what) + " timed out";
    std::string failure = rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(ev) : "";
    size_t n = 0;
    const rd_kafka_topic_result_t** results = results_of(ev, &n);
    for (size_t i = 0; i < n; ++i) {
        const auto e = rd_kafka_topic_result_error(results[i]);
        const bool accepted = accept_exists && e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && !accepted) failure = rd_kafka_topic_result_error_string(results[i]);
    }
    rd_kafka_event_destroy(ev);
    return failure;
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

std::string send_create_topic(rd_kafka_t* rk, const std::string& topic, int partitions, IfTopicExists if_exists,
                              const KafkaProperties& config) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) return err;
    for (const auto& [k, v] : config) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    const std::string failure = topic_request(
        rk, "CreateTopics", [&](rd_kafka_queue_t* q) { rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q); },
        [](rd_kafka_event_t* ev, size_t* n) {
            return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), n);
        },
        if_exists == IfTopicExists::accept);
    rd_kafka_NewTopic_destroy(nt);
    return failure;
}

void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions, IfTopicExists if_exists,
                  const KafkaProperties& config) {
    const std::string failure = send_create_topic(rk, topic, partitions, if_exists, config);
    if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
    if (!wait_for_topic(rk, topic, partitions, std::chrono::seconds(30))) {
        throw std::runtime_error("topic " + topic + " has no leaders after 30 s");
    }
}

std::string send_delete_topic(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
    const std::string failure = topic_request(
        rk, "DeleteTopics", [&](rd_kafka_queue_t* q) { rd_kafka_DeleteTopics(rk, &request, 1, nullptr, q); },
        [](rd_kafka_event_t* ev, size_t* n) {
            return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), n);
        },
        false);
    rd_kafka_DeleteTopic_destroy(request);
    return failure;
}

namespace {

/// One best-effort admin request over `names`: the outcome is not looked at.
template <typename Request>
void delete_all(rd_kafka_t* rk, const std::vector<std::string>& names, Request* (*make)(const char*),
                void (*send)(rd_kafka_t*, Request**, size_t, const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*),
                void (*destroy)(Request**, size_t)) {
    if (names.empty()) return;
    std::vector<Request*> list;
    for (const auto& name : names) list.push_back(make(name.c_str()));
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { send(rk, list.data(), list.size(), nullptr, q); }, 30'000);
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    destroy(list.data(), list.size());
}

}  // namespace

void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics) {
    delete_all(rk, topics, rd_kafka_DeleteTopic_new, rd_kafka_DeleteTopics, rd_kafka_DeleteTopic_destroy_array);
}

void delete_groups(rd_kafka_t* rk, const std::vector<std::string>& groups) {
    delete_all(rk, groups, rd_kafka_DeleteGroup_new, rd_kafka_DeleteGroups, rd_kafka_DeleteGroup_destroy_array);
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

std::pair<std::int64_t, std::int64_t> watermarks(rd_kafka_t* rk, const std::string& topic, std::int32_t partition) {
    std::int64_t low = -1, high = -1;
    const rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10'000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
    return {low, high};
}

std::int64_t delete_records_before(rd_kafka_t* rk, const std::string& topic, std::int32_t partition,
                                   std::int64_t before) {
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = before;
    rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets);
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_DeleteRecords(rk, &request, 1, nullptr, q); }, 30'000);
    rd_kafka_DeleteRecords_destroy(request);
    if (ev == nullptr) throw std::runtime_error("DeleteRecords: timed out");
    std::string failure;
    std::int64_t low = -1;
    const rd_kafka_topic_partition_list_t* result =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_event_error_string(ev);
    } else if (result == nullptr || result->cnt != 1) {
        failure = "no result";
    } else if (result->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_err2str(result->elems[0].err);
    } else {
        low = result->elems[0].offset;
    }
    rd_kafka_event_destroy(ev);
    if (!failure.empty()) throw std::runtime_error("DeleteRecords: " + failure);
    return low;
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
