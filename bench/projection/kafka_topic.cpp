#include "kafka_topic.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "events.hpp"

namespace fanout::bench {

using Clock = std::chrono::steady_clock;

RdKafka make_client(rd_kafka_type_t type, const std::string& brokers,
                    const std::vector<std::pair<std::string, std::string>>& props) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(k + ": " + err);
        }
    };
    set("bootstrap.servers", brokers);
    for (const auto& [k, v] : props) set(k, v);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    return RdKafka(rk, &rd_kafka_destroy);
}

void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error(err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
    std::string failure = ev == nullptr ? "timed out" : "";
    if (ev != nullptr) {
        size_t n = 0;
        const rd_kafka_topic_result_t** r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        for (size_t i = 0; i < n; ++i) {
            if (rd_kafka_topic_result_error(r[i]) != RD_KAFKA_RESP_ERR_NO_ERROR)
                failure = rd_kafka_topic_result_error_string(r[i]);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
}

void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics) {
    std::vector<rd_kafka_DeleteTopic_t*> list;
    for (const auto& t : topics) list.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, list.data(), list.size(), nullptr, q);
    if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000)) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy_array(list.data(), list.size());
}

std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        int64_t low = 0, high = 0;
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 5000)) !=
               RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (Clock::now() > deadline) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        out.push_back(high);
    }
    return out;
}

void load_topic(const std::string& brokers, const std::string& topic, std::size_t events, std::size_t posts,
                const std::function<void(const std::string& value)>& each) {
    RdKafka producer = make_client(
        RD_KAFKA_PRODUCER, brokers,
        {{"enable.idempotence", "true"}, {"linger.ms", "20"}, {"batch.size", "1000000"}, {"compression.type", "lz4"}});
    fanout::test::EventGenerator generator(posts, 42);
    for (std::size_t i = 0; i < events; ++i) {
        const auto e = generator.next();
        if (each) each(e.value);
        rd_kafka_headers_t* hdrs = rd_kafka_headers_new(e.headers.size());
        for (const auto& [k, v] : e.headers)
            rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
        for (;;) {
            const auto err = rd_kafka_producev(
                producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(e.key.data(), e.key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(e.value.data()), e.value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
            rd_kafka_poll(producer.get(), 50);
        }
        rd_kafka_poll(producer.get(), 0);
    }
    if (rd_kafka_flush(producer.get(), 120'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("flush timed out");
}

}  // namespace fanout::bench
