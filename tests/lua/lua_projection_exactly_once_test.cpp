// fanoutd running config/projections/read_model.lua (a Lua SQL projection) on
// the real broker, killed with SIGKILL mid-stream or with its PostgreSQL
// restarted: its tables end equal to the reference folded from the events
// (tests/sql_projection/conformance/projection_exactly_once.hpp).
#include <filesystem>

#include "projection_exactly_once.hpp"
#include "read_model_traits.hpp"

namespace fanout::test {

/// The read model written in Lua: sql_read_model's tables, reference and
/// reader under names of its own.
struct LuaReadModelTraits : ReadModelTraits {
    // Ten kills over 60,000 events; one server restart over 20,000.
    static constexpr ExactlyOnceWorkload k_workload = kills_then_restart(60'000, 10, 2028);
    static constexpr ProjectionNames k_names{.library = "",
                                             .plugin = "lua-read-model",
                                             .database = "Lua projection lua_read_model",
                                             .schema_component = "lua_read_model",
                                             .schema_version = 2};

    static std::string lua_script() {
        return (std::filesystem::path(FANOUT_SOURCE_DIR) / "config" / "projections" / "read_model.lua").string();
    }
};

INSTANTIATE_TYPED_TEST_SUITE_P(LuaProjection, ProjectionExactlyOnce, ::testing::Types<LuaReadModelTraits>, PluginNames);

}  // namespace fanout::test
