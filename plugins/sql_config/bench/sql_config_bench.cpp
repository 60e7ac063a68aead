// sql_config_bench: fanoutd + a projection written in configuration only
// (likes and comments per post, by increments) over 1M generated events, on
// SQLite and PostgreSQL, next to the no-op plugin; the tables are compared
// with the reference folded from the events. Harness and options:
// bench/projection/projection_bench.hpp.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "likes_traits.hpp"
#include "projection_bench.hpp"

int main(int argc, char** argv) {
    const std::filesystem::path definition =
        std::filesystem::temp_directory_path() / ("sql_config_bench-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(definition) << fanout::test::k_likes_definition;
    fanout::test::LikesReference reference;
    fanout::bench::ProjectionBenchSpec spec;
    spec.program = "sql_config_bench";
    spec.description = "events/s of fanoutd + a configuration-only projection (SQLite, PostgreSQL)";
    spec.library = "libfanout_sql_config.so";
    spec.checkpoint_table = "cfg_likes_checkpoints";
    spec.tag = "cfg";
    spec.default_batch = 2000;
    spec.extra_options = "      definition: " + fanout::test::yaml_quote(definition.string()) + "\n";
    spec.reference = [&](const std::string& value) { reference.apply(value); };
    spec.differences = [&](soci::session& session) {
        return fanout::test::differences(reference.tables(), fanout::test::read_likes(session), 5);
    };
    const int rc = fanout::bench::run_projection_bench(argc, argv, spec);
    std::filesystem::remove(definition);
    return rc;
}
