// analytics_bench: fanoutd + analytics over 1M generated events, into SQLite
// and PostgreSQL, with the no-op plugin as the consume-rate baseline. After
// each run the analytics tables must equal the counts computed directly from
// the events. Harness and options: bench/projection/projection_bench.hpp.
#include <string>

#include "projection_bench.hpp"
#include "tables.hpp"

int main(int argc, char** argv) {
    fanout::test::ReferenceCounts counts;
    const auto expected_against = [&counts](soci::session& db) {
        return fanout::test::differences(counts.tables(), fanout::test::read_tables(db), 5);
    };
    return fanout::bench::run_projection_bench(
        argc, argv,
        {"analytics_bench", "events/s of fanoutd + analytics (SQLite, PostgreSQL) next to the no-op plugin",
         "libfanout_analytics.so", "analytics_checkpoints", "an", 10'000,
         [&counts](const std::string& value) { counts.apply(value); }, expected_against});
}
