// The SQL projection engine's guarantees (tests/sql_projection/conformance/)
// for the analytics plugin, on SQLite and on the PostgreSQL of FANOUT_TEST_PG.
#include "analytics_traits.hpp"
#include "projection_conformance.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(Analytics, ProjectionConformance, OnBothBackends<AnalyticsTraits>, BackendNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Analytics, ProjectionGenerations, OnBothBackends<AnalyticsTraits>, BackendNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Analytics, ProjectionConnection, ::testing::Types<AnalyticsTraits>, PluginNames);

}  // namespace fanout::test
