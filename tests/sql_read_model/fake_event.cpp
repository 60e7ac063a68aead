#include "fake_event.hpp"

namespace fanout::test {

FakeEvent::FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
                     std::string key)
    : testing::FakeEvent(testing::RecordSpec{.topic = std::move(topic),
                                             .partition = partition,
                                             .offset = offset,
                                             .key = std::move(key),
                                             .payload = std::move(payload)},
                         RecordTag{}) {
    (void)parse_envelope();
}

FakeEvent::FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
                     std::string key, rapidjson::Document::AllocatorType&)
    : FakeEvent(std::move(topic), partition, offset, std::move(payload), std::move(key)) {}

std::vector<const Event*> pointers(const std::vector<FakeEvent>& events) {
    std::vector<const Event*> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(&e);
    return out;
}

}  // namespace fanout::test
