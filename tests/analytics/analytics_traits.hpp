#pragma once
// The analytics plugin as the projection conformance suites see it
// (tests/sql_projection/conformance/projection_traits.hpp).
#include "projection_traits.hpp"
#include "tables.hpp"

namespace fanout::test {

/// Five kills (the default) over 40,000 events; one server restart over 20,000.
struct AnalyticsTraits : ProjectionOf<ReferenceCounts, read_tables> {
    static constexpr ExactlyOnceWorkload k_workload{
        .kill_pace = {.events = 40'000, .posts = 2'000, .seed = 2026, .pause = std::chrono::milliseconds(150)},
        .restart_pace = {.events = 20'000, .posts = 1'000, .seed = 2026, .pause = std::chrono::milliseconds(300)}};
    static constexpr ProjectionNames k_names{.library = "libfanout_analytics.so",
                                             .plugin = "analytics",
                                             .group = "fanout.analytics",
                                             .database = "analytics",
                                             .checkpoint_table = "analytics_checkpoints",
                                             .schema_component = "analytics",
                                             .version_table = "analytics_schema_version",
                                             .schema_version = 1};
};

}  // namespace fanout::test
