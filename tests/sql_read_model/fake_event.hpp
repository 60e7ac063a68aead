#pragma once
// Records for driving plugins without Kafka: fanout::testing's FakeEvent
// (which reads them as fanoutd does) made from a topic, partition, offset,
// value and key, the envelope parsed up front (as fanoutd's parse-ahead does)
// so that a timed handle() measures the plugin alone.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "fanout/testing.hpp"

namespace fanout::test {

class FakeEvent final : public testing::FakeEvent {
public:
    FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload,
              std::string key = {});
    /// As above; `pool` is not needed any more and only kept for callers that pass one.
    FakeEvent(std::string topic, std::int32_t partition, std::int64_t offset, std::string payload, std::string key,
              rapidjson::Document::AllocatorType& pool);
};

/// Pointers for Plugin::handle().
std::vector<const Event*> pointers(const std::vector<FakeEvent>& events);

}  // namespace fanout::test
