#pragma once
// The analytics plugin as the projection conformance suites see it
// (tests/sql_projection/conformance/projection_traits.hpp).
#include "projection_traits.hpp"
#include "tables.hpp"

namespace fanout::test {

/// Five kills (the default) over 40,000 events; one server restart over 20,000.
struct AnalyticsTraits : ProjectionOf<ReferenceCounts, read_tables> {
    static constexpr ExactlyOnceWorkload k_workload = kills_then_restart(40'000, 5, 2026);
    static constexpr ProjectionNames k_names{.library = "libfanout_analytics.so",
                                             .plugin = "analytics",
                                             .database = "analytics",
                                             .schema_component = "analytics",
                                             .version_table = "analytics_schema_version"};
};

}  // namespace fanout::test
