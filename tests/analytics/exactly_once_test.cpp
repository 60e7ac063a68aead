// fanoutd running the analytics plugin on the real broker, killed with
// SIGKILL or with its PostgreSQL restarted mid-stream: the counts end equal to
// the reference counts (tests/sql_projection/conformance/projection_exactly_once.hpp).
#include "analytics_traits.hpp"
#include "projection_exactly_once.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(Analytics, ProjectionExactlyOnce, ::testing::Types<AnalyticsTraits>, PluginNames);

}  // namespace fanout::test
