#pragma once
// A stream for comparing two projections of the same events: post events
// over many days with removals, and copies of earlier events under new
// offsets, as an outbox relay that published twice leaves them. And a driver
// that hands a stream to a plugin in batches of varied sizes.
#include <vector>

#include "event_builder.hpp"
#include "fanout/plugin.hpp"

namespace fanout::test {

/// 12,000 events over 300 posts on partition 0 of k_topic, over 12 days; now
/// and then a post is removed (its later events never come); every 40th
/// event is followed by a copy of an event already sent. Deterministic.
std::vector<FakeEvent> relay_stream();

/// Assign partition 0 of k_topic to `plugin`, then hand it `events` in
/// batches of 1 to 700 (the same cut on every call). Every outcome must be
/// done: a test failure names the batch otherwise.
void feed_in_batches(Plugin& plugin, const std::vector<FakeEvent>& events);

}  // namespace fanout::test
