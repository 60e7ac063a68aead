// A projection written in configuration only, rebuilt into a new generation
// of its tables on both backends (tests/sql_projection/conformance/projection_generations.hpp).
#include "likes_traits.hpp"
#include "projection_generations.hpp"
#include "projection_traits.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(SqlConfig, ProjectionGenerations, OnBothBackends<LikesTraits>, BackendNames);

}  // namespace fanout::test
