#pragma once
// Test doubles for plugin authors: what fanoutd hands a plugin, in memory.
//
//   fanout::testing::FakeEvent     an Event over one record (fields or raw bytes)
//   fanout::testing::FakeContext   a Context whose log, counters and gauges tests read
//   fanout::testing::FakeOptions   Options from a plugin's schema and typed values
//   fanout::testing::BatchDriver   handle() in batches, positions, retries, revokes
//
// Header-only and standard C++20 only (no JSON library): include it from a
// test linked to Fanout::plugin_api. See docs/plugins.md, "Testing a plugin".
//
// With GoogleTest and `using namespace fanout;` in one file, `testing::` is
// ambiguous: write `::testing::Test` for GoogleTest's, `fanout::testing::` for these.
#include "fanout/testing/batch_driver.hpp"
#include "fanout/testing/fake_context.hpp"
#include "fanout/testing/fake_event.hpp"
