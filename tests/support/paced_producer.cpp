#include "paced_producer.hpp"

#include <stdexcept>

#include "kafka_test.hpp"

namespace fanout::test {

PacedProducer::PacedProducer(std::string topic, Pace pace, std::function<void(const GeneratedEvent&)> fold)
    : fold_(std::move(fold)), thread_([this, topic = std::move(topic), pace] { run(topic, pace); }) {}

PacedProducer::~PacedProducer() {
    if (thread_.joinable()) thread_.join();
}

void PacedProducer::finish() {
    if (thread_.joinable()) thread_.join();
    if (!error_.empty()) throw std::runtime_error(error_);
}

void PacedProducer::run(const std::string& topic, const Pace& pace) {
    try {
        EventGenerator generator(pace.posts, pace.seed);
        TestProducer producer;
        for (std::size_t i = 0; i < pace.events; ++i) {
            const GeneratedEvent e = generator.next();
            fold_(e);
            producer.produce(topic, e.key, e.value, e.headers);
            if ((i + 1) % pace.chunk == 0) {
                producer.flush();
                std::this_thread::sleep_for(pace.pause);  // pacing, so disturbances land while events flow
            }
        }
        producer.flush();
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

}  // namespace fanout::test
