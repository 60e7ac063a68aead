#include "producer.hpp"

#include <atomic>
#include <vector>
#include <stdexcept>

#include "log.hpp"

namespace fanout::daemon {
namespace {

struct Delivery {
    std::atomic<bool> finished{false};
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    auto* delivery = static_cast<Delivery*>(message->_private);
    if (delivery == nullptr) return;
    delivery->error = message->err;
    delivery->finished.store(true, std::memory_order_release);
}

}  // namespace

SyncProducer::SyncProducer(const DaemonSettings& settings, const std::string& client_id) {
    KafkaConf conf = make_kafka_conf(settings.kafka,
                                     {{"enable.idempotence", "true"},
                                      {"acks", "all"},
                                      {"linger.ms", "0"},
                                      {"message.timeout.ms", "30000"},
                                      {"client.id", client_id}},
                                     settings.file);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    rd_kafka_conf_set_log_cb(
        conf.get(), [](const rd_kafka_t* rk, int level, const char* facility, const char* message) {
            // Consumer-only pass-through properties warn here (CONFWARN): debug.
            const auto lvl = level <= 3 ? spdlog::level::err : level <= 4 ? spdlog::level::warn : spdlog::level::debug;
            log().log(std::string_view(facility) == "CONFWARN" ? spdlog::level::debug : lvl, "[{}] kafka {}: {}",
                      rd_kafka_name(rk), facility, message);
        });
    char err[512];
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
    if (!producer_) throw std::runtime_error("cannot create Kafka producer " + client_id + ": " + err);
    conf.release();  // rd_kafka_new took it
}

SyncProducer::~SyncProducer() {
    if (producer_) rd_kafka_flush(producer_.get(), 10'000);
}

namespace {

KafkaHeaders make_headers(const SyncProducer::Headers& headers) {
    KafkaHeaders hdrs(rd_kafka_headers_new(headers.size()));
    for (const auto& [name, v] : headers) {
        rd_kafka_header_add(hdrs.get(), name.data(), static_cast<ssize_t>(name.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
    }
    return hdrs;
}

}  // namespace

SyncProducer::Result SyncProducer::produce(std::string_view topic, std::string_view key, std::string_view value,
                                           const Headers& headers) {
    KafkaHeaders hdrs = make_headers(headers);
    const std::string topic_name(topic);
    Delivery delivery;
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_name.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(hdrs.get()), RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return {err, rd_kafka_err2str(err)};
    hdrs.release();  // owned by the message now

    // Threads waiting on the shared producer all poll it; each callback marks
    // its own Delivery, so whoever serves it, the owner sees it finish.
    // message.timeout.ms bounds the wait: the callback always comes.
    while (!delivery.finished.load(std::memory_order_acquire)) rd_kafka_poll(producer_.get(), 50);
    if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) return {delivery.error, rd_kafka_err2str(delivery.error)};
    return {};
}

SyncProducer::Result SyncProducer::produce_all(std::string_view topic, std::span<const Record> records) {
    const std::string topic_name(topic);
    std::vector<Delivery> deliveries(records.size());
    std::size_t queued = 0;
    Result first;
    for (; queued < records.size(); ++queued) {
        const Record& r = records[queued];
        KafkaHeaders hdrs = make_headers(r.headers != nullptr ? *r.headers : Headers{});
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
                                        RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
                                        RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs.get()),
                                        RD_KAFKA_V_OPAQUE(&deliveries[queued]), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer_.get(), 50);  // the queue drains as deliveries come back
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            first = {err, rd_kafka_err2str(err)};
            break;
        }
        hdrs.release();  // owned by the message now
    }
    // Every queued record's callback comes (message.timeout.ms bounds it).
    for (std::size_t i = 0; i < queued; ++i) {
        while (!deliveries[i].finished.load(std::memory_order_acquire)) rd_kafka_poll(producer_.get(), 50);
        if (first.ok() && deliveries[i].error != RD_KAFKA_RESP_ERR_NO_ERROR) {
            first = {deliveries[i].error, rd_kafka_err2str(deliveries[i].error)};
        }
    }
    return first;
}

}  // namespace fanout::daemon
