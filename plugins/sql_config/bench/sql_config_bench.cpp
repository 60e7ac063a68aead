// sql_config_bench: fanoutd + a projection written in configuration only
// (likes and comments per post, by increments) over 1M generated events, on
// SQLite and PostgreSQL, next to the no-op plugin; the tables are compared
// with the reference folded from the events. Harness and options:
// bench/projection/projection_bench.hpp.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fanoutd_config.hpp"
#include "likes_traits.hpp"
#include "projection_bench.hpp"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    const fs::path definition =
        fs::temp_directory_path() / ("sql_config_bench-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(definition) << fanout::test::k_likes_definition;
    fanout::test::LikesReference reference;
    const int rc = fanout::bench::run_projection_bench(
        argc, argv,
        {"sql_config_bench",
         "events/s of fanoutd + a configuration-only projection (SQLite, PostgreSQL)",
         "libfanout_sql_config.so",
         "cfg_likes_checkpoints",
         "cfg",
         2000,
         {},
         {},
         "      definition: " + fanout::bench::yaml_quote(definition.string()) + "\n"},
        reference, [](const fanout::test::LikesReference& likes, soci::session& db) {
            return fanout::test::differences(likes.tables(), fanout::test::read_likes(db), 5);
        });
    fs::remove(definition);
    return rc;
}
