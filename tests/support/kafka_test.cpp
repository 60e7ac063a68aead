#include "kafka_test.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include <librdkafka/rdkafka.h>

namespace fanout::test {
namespace {

harness::KafkaClient make_client(rd_kafka_type_t type, const harness::KafkaProperties& props,
                                 const std::function<void(rd_kafka_conf_t*)>& configure = {}) {
    return harness::make_client(type, brokers(), props, configure);
}

}  // namespace

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

std::string Record::header(const std::string& name) const {
    std::string out;
    for (const auto& [k, v] : headers) {
        if (k == name) out = v;
    }
    return out;
}

namespace {
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        auto* impl = static_cast<std::atomic<int>*>(opaque);
        impl->fetch_add(1);
    }
}
}  // namespace

TestProducer::TestProducer()
    : failures_(std::make_unique<std::atomic<int>>(0)),
      producer_(make_client(RD_KAFKA_PRODUCER, {{"enable.idempotence", "true"}, {"linger.ms", "5"}},
                            [this](rd_kafka_conf_t* conf) {
                                rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
                                rd_kafka_conf_set_opaque(conf, failures_.get());
                            })) {}

TestProducer::~TestProducer() {
    if (producer_) rd_kafka_flush(producer_.get(), 30'000);
}

void TestProducer::produce(const std::string& topic, const std::string& key, const std::string& value,
                           const std::vector<std::pair<std::string, std::string>>& headers, int partition) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [k, v] : headers) rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    for (;;) {
        const auto e = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer_.get(), 100);
            continue;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_headers_destroy(hdrs);
            throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
        }
        break;
    }
    rd_kafka_poll(producer_.get(), 0);
}

void TestProducer::flush() {
    if (rd_kafka_flush(producer_.get(), 60'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("flush timed out");
    if (failures_->load() != 0) throw std::runtime_error("some records failed to produce");
}

std::vector<Record> consume_all(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout) {
    const harness::KafkaClient client = make_client(
        RD_KAFKA_CONSUMER,
        {{"group.id", unique_name("reader")}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "earliest"}});
    rd_kafka_t* rk = client.get();
    // Assign every partition explicitly: no group join, no rebalance wait.
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    std::vector<Record> out;
    int partitions = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (partitions == 0 && std::chrono::steady_clock::now() < deadline) {
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
            md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            partitions = md->topics[0].partition_cnt;
        }
        if (md) rd_kafka_metadata_destroy(md);
        md = nullptr;
        if (partitions == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
        if (m == nullptr) continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            Record r;
            r.topic = rd_kafka_topic_name(m->rkt);
            r.partition = m->partition;
            r.offset = m->offset;
            if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
            if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
            rd_kafka_headers_t* hdrs = nullptr;
            if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name;
                const void* value;
                size_t size;
                for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
                    r.headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
                }
            }
            out.push_back(std::move(r));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    return out;
}

}  // namespace fanout::test
