// fanoutd running config/projections/read_model.lua (a Lua SQL projection) on
// the real broker, killed with SIGKILL mid-stream or with its PostgreSQL
// restarted: its tables end equal to the reference folded from the events
// (tests/sql_projection/conformance/projection_exactly_once.hpp).
#include "lua_read_model_traits.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(LuaProjection, ProjectionExactlyOnce, ::testing::Types<LuaReadModelTraits>, PluginNames);

}  // namespace fanout::test
