// sql_read_model_bench: events/s and CPU per event of fanoutd + sql_read_model
// (SQLite, PostgreSQL) next to the no-op plugin, on 1M generated events; the
// read model is compared, row by row, with the model folded from the events.
// The harness and its options: bench/projection/projection_bench.hpp.
#include <string>

#include "model.hpp"
#include "projection_bench.hpp"

int main(int argc, char** argv) {
    fanout::test::ReferenceModel reference;
    fanout::bench::ProjectionBenchSpec spec;
    spec.program = "sql_read_model_bench";
    spec.description = "events/s of fanoutd + sql_read_model (SQLite, PostgreSQL) next to the no-op plugin";
    spec.library = "libfanout_sql_read_model.so";
    spec.checkpoint_table = "checkpoints";
    spec.tag = "rm";
    spec.default_batch = 2000;
    spec.reference = [&](const std::string& value) { reference.apply(value); };
    spec.differences = [&](soci::session& session) {
        return fanout::test::differences(reference.model(), fanout::test::read_model(session), 5);
    };
    return fanout::bench::run_projection_bench(argc, argv, spec);
}
