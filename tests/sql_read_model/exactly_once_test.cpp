// fanoutd running sql_read_model on the real broker, killed with SIGKILL or
// with its PostgreSQL restarted mid-stream: the read model ends equal to the
// reference model (tests/sql_projection/conformance/projection_exactly_once.hpp).
#include "projection_exactly_once.hpp"
#include "read_model_traits.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionExactlyOnce, ::testing::Types<ReadModelTraits>, PluginNames);

}  // namespace fanout::test
