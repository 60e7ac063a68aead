#include "kafka_publisher.hpp"

#include <chrono>
#include <stdexcept>

#include "envelope.hpp"
#include "log.hpp"

namespace fanout::post_command {
namespace {

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    auto* delivery = static_cast<Delivery*>(message->_private);
    if (delivery == nullptr) return;
    delivery->error = message->err;
    delivery->finished = true;
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void*) {
    // A broker outage reports the same error every few hundred ms: one line
    // per 10 s is enough to see it (the status route shows the lag).
    static std::atomic<long long> last_ms{0};
    const long long now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    const bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    if (!fatal && now - last_ms.load() < 10'000) return;
    last_ms.store(now);
    log().warn("kafka client={} error={} {}", rd_kafka_name(rk),
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
}

void on_log(const rd_kafka_t*, int, const char* facility, const char* message) {
    log().debug("librdkafka {} {}", facility, message);
}

rd_kafka_conf_t* build_conf(const KafkaSettings& settings, const std::string& client_id) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& key, const std::string& value) {
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::invalid_argument("kafka property '" + key + "': " + err);
        }
    };
    set("bootstrap.servers", settings.brokers);
    // The relay keeps producing while acknowledgements are outstanding, so
    // records batch up behind the requests in flight by themselves; a
    // producer-side linger would only add its length to every event.
    set("linger.ms", "1");
    for (const auto& [key, value] : settings.properties) set(key, value);
    set("enable.idempotence", "true");
    set("acks", "all");
    set("message.timeout.ms", std::to_string(settings.message_timeout_ms));
    set("client.id", client_id);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    return conf;
}

}  // namespace

void validate_kafka_settings(const KafkaSettings& settings) { rd_kafka_conf_destroy(build_conf(settings, "check")); }

KafkaPublisher::KafkaPublisher(const KafkaSettings& settings, const std::string& client_id,
                               std::function<void()> on_report)
    : on_report_(std::move(on_report)) {
    rd_kafka_conf_t* conf = build_conf(settings, client_id);
    // This publisher also hears what the client reports: errors for the
    // status route, deliveries to clear them.
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_error_cb(conf, &KafkaPublisher::on_client_error);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaPublisher::on_delivered);
    char err[512];
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
    if (!producer_) {
        rd_kafka_conf_destroy(conf);
        throw std::invalid_argument("cannot create Kafka producer: " + std::string(err));
    }
    if (on_report_) {
        main_queue_.reset(rd_kafka_queue_get_main(producer_.get()));
        rd_kafka_queue_cb_event_enable(main_queue_.get(), &KafkaPublisher::on_queue_event, this);
    }
}

void KafkaPublisher::on_client_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    on_error(rk, err, reason, nullptr);
    auto* self = static_cast<KafkaPublisher*>(opaque);
    std::lock_guard lock(self->client_error_mutex_);
    self->client_error_ = std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason;
}

void KafkaPublisher::on_delivered(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) {
    on_delivery(rk, message, nullptr);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<KafkaPublisher*>(opaque);
    std::lock_guard lock(self->client_error_mutex_);
    self->client_error_.clear();
}

std::string KafkaPublisher::client_error() const {
    std::lock_guard lock(client_error_mutex_);
    return client_error_;
}

void KafkaPublisher::on_queue_event(rd_kafka_t*, void* opaque) {
    static_cast<KafkaPublisher*>(opaque)->on_report_();
}

KafkaPublisher::~KafkaPublisher() {
    // Whatever is still queued belongs to a publish that gave up: its
    // events stay unpublished in the store's view and will be sent again.
    if (main_queue_) rd_kafka_queue_cb_event_enable(main_queue_.get(), nullptr, nullptr);
    main_queue_.reset();
    if (producer_) rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

rd_kafka_resp_err_t KafkaPublisher::produce(const std::string& topic, const StoredEvent& e,
                                            const ExtraHeaders& extra_headers, Delivery* delivery) {
    const std::string value = make_envelope(e);
    rd_kafka_headers_t* headers = rd_kafka_headers_new(3 + extra_headers.size());
    rd_kafka_header_add(headers, header::event_type, -1, e.type.data(), static_cast<ssize_t>(e.type.size()));
    rd_kafka_header_add(headers, header::event_id, -1, e.event_id.data(), static_cast<ssize_t>(e.event_id.size()));
    rd_kafka_header_add(headers, header::content_type, -1, "application/json", -1);
    for (const auto& [name, v] : extra_headers) {
        rd_kafka_header_add(headers, name.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(e.aggregate_id.data(), e.aggregate_id.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(delivery), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);  // else the message owns them
    return err;
}

void KafkaPublisher::serve(int timeout_ms) { rd_kafka_poll(producer_.get(), timeout_ms); }

void KafkaPublisher::purge() { rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT); }

bool KafkaPublisher::fatal() const {
    return rd_kafka_fatal_error(producer_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

PublishResult KafkaPublisher::publish(const std::string& topic, std::span<const StoredEvent> events,
                                      const ExtraHeaders& extra_headers, const std::function<bool()>& give_up) {
    rd_kafka_t* rk = producer_.get();
    // librdkafka holds pointers into this until each report arrives; should
    // one never arrive, it is leaked rather than freed under librdkafka.
    auto owned = std::make_unique<std::vector<Delivery>>(events.size());
    std::vector<Delivery>& deliveries = *owned;
    PublishResult result;
    auto pending = [&] {
        std::size_t n = 0;
        for (const Delivery& d : deliveries) n += d.finished ? 0 : 1;
        return n;
    };
    auto abandon = [&] {
        result.abandoned = true;
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        // Purged records report back on the next polls; bounded in case one never does.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (pending() > 0 && std::chrono::steady_clock::now() < deadline) rd_kafka_poll(rk, 50);
    };

    std::size_t produced = 0;
    for (; produced < events.size() && !result.abandoned; ++produced) {
        rd_kafka_resp_err_t err;
        for (;;) {
            err = produce(topic, events[produced], extra_headers, &deliveries[produced]);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
            rd_kafka_poll(rk, 100);
            if (give_up()) {
                abandon();
                break;
            }
        }
        if (result.abandoned) break;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            deliveries[produced] = Delivery{true, err};
            ++produced;
            break;  // later events must not overtake this one
        }
    }
    // Events never produced count as failed, after the ones that were.
    for (std::size_t i = produced; i < deliveries.size(); ++i) {
        if (!deliveries[i].finished) deliveries[i] = Delivery{true, RD_KAFKA_RESP_ERR__PURGE_QUEUE};
    }
    while (!result.abandoned && pending() > 0) {
        rd_kafka_flush(rk, 100);  // flush: sends now, ignoring linger.ms, and serves delivery reports
        if (pending() > 0 && give_up()) abandon();
    }
    for (const Delivery& d : deliveries) {
        if (!d.finished || d.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
            result.error = d.finished ? rd_kafka_err2str(d.error) : "not acknowledged";
            break;
        }
        ++result.acknowledged;
    }
    if (pending() > 0) {
        log().warn("kafka: {} delivery reports never arrived after a purge", pending());
        static_cast<void>(owned.release());
    }
    return result;
}

}  // namespace fanout::post_command
