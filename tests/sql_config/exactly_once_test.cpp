// fanoutd running a projection written in configuration only, on the real
// broker, killed with SIGKILL mid-stream or with its PostgreSQL restarted:
// its counters end equal to the reference folded from the events
// (tests/sql_projection/conformance/projection_exactly_once.hpp).
#include "likes_traits.hpp"
#include "projection_exactly_once.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(SqlConfig, ProjectionExactlyOnce, ::testing::Types<LikesTraits>, PluginNames);

}  // namespace fanout::test
