#pragma once
// config/projections/read_model.lua (a Lua SQL projection) as the projection
// conformance suites see it: sql_read_model's tables, reference and reader
// under names of its own.
#include <filesystem>
#include <string>

#include "projection_exactly_once.hpp"
#include "read_model_traits.hpp"

namespace fanout::test {

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

}  // namespace fanout::test
