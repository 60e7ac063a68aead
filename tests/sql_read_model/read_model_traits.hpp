#pragma once
// The sql_read_model plugin as the projection conformance suites see it
// (tests/sql_projection/conformance/projection_traits.hpp).
#include "model.hpp"
#include "projection_traits.hpp"

namespace fanout::test {

struct ReadModelTraits : ProjectionOf<ReferenceModel, read_model> {
    static constexpr ProjectionNames k_names{.library = "libfanout_sql_read_model.so",
                                             .plugin = "read-model",
                                             .database = "read model",
                                             .schema_component = "read_model",
                                             .schema_version = 2,
                                             .checkpoints = "checkpoints"};
    // Ten kills over 100,000 events; two server restarts over 40,000.
    static constexpr ExactlyOnceWorkload k_workload{{100'000, 2'000, 2024, std::chrono::milliseconds(150)},
                                                    10,
                                                    std::chrono::milliseconds(1200),
                                                    {40'000, 1'000, 2024, std::chrono::milliseconds(300)},
                                                    2};
};

}  // namespace fanout::test
