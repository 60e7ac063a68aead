#include "kafka_test.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

namespace fanout::test {
namespace {

rd_kafka_t* make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& props) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            throw std::runtime_error("conf " + k + ": " + err);
        }
    };
    set("bootstrap.servers", brokers());
    for (const auto& [k, v] : props) set(k, v);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    return rk;
}

}  // namespace

std::string brokers() {
    const char* env = std::getenv("FANOUT_TEST_BROKERS");
    if (env == nullptr || *env == '\0') {
        ADD_FAILURE() << "FANOUT_TEST_BROKERS is not set: run tools/test.sh, or start a broker with "
                         "tools/kafka-dev.sh start and export FANOUT_TEST_BROKERS=$(tools/kafka-dev.sh bootstrap)";
        throw std::runtime_error("FANOUT_TEST_BROKERS unset");
    }
    return env;
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000) + "-" +
           std::to_string(counter++);
}

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

struct KafkaAdmin::Impl {
    rd_kafka_t* rk;
};

KafkaAdmin::KafkaAdmin() : impl_(new Impl{make_client(RD_KAFKA_PRODUCER, {})}) {}
KafkaAdmin::~KafkaAdmin() {
    rd_kafka_destroy(impl_->rk);
    delete impl_;
}

void KafkaAdmin::create_topic(const std::string& topic, int partitions) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error(err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(impl_->rk);
    rd_kafka_CreateTopics(impl_->rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
    std::string failure;
    if (ev == nullptr) {
        failure = "CreateTopics timed out";
    } else {
        const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
        for (size_t i = 0; i < n; ++i) {
            const auto e = rd_kafka_topic_result_error(results[i]);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                failure = rd_kafka_topic_result_error_string(results[i]);
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
    // Wait until every partition has a leader.
    const bool ready = wait_until(
        [&] {
            rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
            const rd_kafka_metadata_t* md = nullptr;
            bool ok = false;
            if (rd_kafka_metadata(impl_->rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
                const auto& t = md->topics[0];
                ok = t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt == partitions;
                for (int i = 0; ok && i < t.partition_cnt; ++i) ok = t.partitions[i].leader >= 0;
            }
            if (md) rd_kafka_metadata_destroy(md);
            rd_kafka_topic_destroy(rkt);
            return ok;
        },
        std::chrono::seconds(30));
    if (!ready) throw std::runtime_error("topic " + topic + " has no leaders after 30 s");
}

std::vector<std::int64_t> KafkaAdmin::end_offsets(const std::string& topic, int partitions) {
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        int64_t low = 0, high = 0;
        const auto e = rd_kafka_query_watermark_offsets(impl_->rk, topic.c_str(), p, &low, &high, 10'000);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
        out.push_back(high);
    }
    return out;
}

std::vector<std::int64_t> KafkaAdmin::committed(const std::string& group, const std::string& topic, int partitions) {
    rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, {{"group.id", group}});
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    const auto e = rd_kafka_committed(rk, list, 10'000);
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) out.push_back(e == RD_KAFKA_RESP_ERR_NO_ERROR ? list->elems[p].offset : -2);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(e));
    for (auto& o : out) {
        if (o < 0) o = -1;
    }
    return out;
}

struct TestProducer::Impl {
    rd_kafka_t* rk;
    std::atomic<int> failures{0};
};

namespace {
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        auto* impl = static_cast<std::atomic<int>*>(opaque);
        impl->fetch_add(1);
    }
}
}  // namespace

TestProducer::TestProducer() : impl_(new Impl{nullptr, {0}}) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &impl_->failures);
    impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (impl_->rk == nullptr) throw std::runtime_error(err);
}

TestProducer::~TestProducer() {
    rd_kafka_flush(impl_->rk, 30'000);
    rd_kafka_destroy(impl_->rk);
    delete impl_;
}

void TestProducer::produce(const std::string& topic, const std::string& key, const std::string& value,
                           const std::vector<std::pair<std::string, std::string>>& headers, int partition) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [k, v] : headers) rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    for (;;) {
        const auto e = rd_kafka_producev(impl_->rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                                         RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                                         RD_KAFKA_V_KEY(key.data(), key.size()),
                                         RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(impl_->rk, 100);
            continue;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_headers_destroy(hdrs);
            throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
        }
        break;
    }
    rd_kafka_poll(impl_->rk, 0);
}

void TestProducer::flush() {
    if (rd_kafka_flush(impl_->rk, 60'000) != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error("flush timed out");
    if (impl_->failures.load() != 0) throw std::runtime_error("some records failed to produce");
}

std::vector<Record> consume_all(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout) {
    rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, {{"group.id", unique_name("reader")},
                                                     {"enable.auto.commit", "false"},
                                                     {"auto.offset.reset", "earliest"}});
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
    rd_kafka_destroy(rk);
    return out;
}

}  // namespace fanout::test
