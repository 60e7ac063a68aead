#include "dead_letter.hpp"

#include <atomic>


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

DeadLetterSink::DeadLetterSink(const DaemonSettings& settings) : topic_(settings.dead_letter_topic) {
    KafkaConf conf = make_kafka_conf(settings.kafka,
                                     {{"enable.idempotence", "true"},
                                      {"acks", "all"},
                                      {"linger.ms", "0"},
                                      {"message.timeout.ms", "30000"},
                                      {"client.id", "fanoutd-dead-letter"}},
                                     settings.file);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    char err[512];
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
    if (!producer_) throw std::runtime_error(std::string("cannot create the dead-letter producer: ") + err);
    conf.release();  // rd_kafka_new took it
}

DeadLetterSink::~DeadLetterSink() {
    if (producer_) rd_kafka_flush(producer_.get(), 10'000);
}

std::string DeadLetterSink::send(const Event& event, const DeadLetterInfo& info) {
    KafkaHeaders headers(rd_kafka_headers_new(8));
    for (const Header& h : event.headers()) {
        rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
    }
    auto add = [&](const char* name, const std::string& value) {
        rd_kafka_header_add(headers.get(), name, -1, value.data(), static_cast<ssize_t>(value.size()));
    };
    add("fanout.plugin", info.plugin);
    add("fanout.reason", info.reason);
    add("fanout.attempts", std::to_string(info.attempts));
    add("fanout.source.topic", std::string(event.topic()));
    add("fanout.source.partition", std::to_string(event.partition()));
    add("fanout.source.offset", std::to_string(event.offset()));

    Delivery delivery;
    const std::string_view key = event.key();
    const std::string_view value = event.payload();
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(err);
    headers.release();  // owned by the message now

    // Every waiting pipeline polls the shared producer; each callback marks
    // its own Delivery, so whoever serves it, the owner sees it finish.
    // message.timeout.ms bounds the wait: the callback always comes.
    while (!delivery.finished.load(std::memory_order_acquire)) rd_kafka_poll(producer_.get(), 50);
    if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(delivery.error);
    return {};
}

}  // namespace fanout::daemon
