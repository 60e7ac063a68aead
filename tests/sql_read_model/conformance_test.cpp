// The SQL projection engine's guarantees (tests/sql_projection/conformance/)
// for the sql_read_model plugin, on SQLite and on the PostgreSQL of FANOUT_TEST_PG.
#include "projection_conformance.hpp"
#include "read_model_traits.hpp"

namespace fanout::test {

INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionConformance, OnBothBackends<ReadModelTraits>, BackendNames);
INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionGenerations, OnBothBackends<ReadModelTraits>, BackendNames);
INSTANTIATE_TYPED_TEST_SUITE_P(SqlReadModel, ProjectionConnection, ::testing::Types<ReadModelTraits>, PluginNames);

}  // namespace fanout::test
