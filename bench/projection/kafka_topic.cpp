#include "kafka_topic.hpp"

#include <stdexcept>

#include "events.hpp"

namespace fanout::bench {

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
