#pragma once
// The notifier tests' event: docs/events.md's example PostCreatedEvent, as a
// fanout::testing::FakeEvent at partition 2, offset 41.
#include "fanout/testing.hpp"

namespace fanout::plugins::webhook::test {

using testing::FakeEvent;

inline testing::EventSpec example_event() {
    return {.type = "PostCreatedEvent",
            .aggregate_id = "b8a1f3a2-6c0e-4d5e-9f1a-2b3c4d5e6f70",
            .version = 1,
            .data = "{}",
            .topic = "post-events",
            .partition = 2,
            .offset = 41,
            .event_id = "0d6f7c1e-3b0a-4d2f-8a53-5f1e2c9b7a01",
            .global_sequence = 10231,
            .occurred_at = "2026-11-22T09:15:02.417Z"};
}

}  // namespace fanout::plugins::webhook::test
