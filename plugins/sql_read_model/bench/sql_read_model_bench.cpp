// sql_read_model_bench: events/s and CPU per event of fanoutd + sql_read_model
// (SQLite, PostgreSQL) next to the no-op plugin, on 1M generated events; the
// read model is compared, row by row, with the model folded from the events.
// The harness and its options: bench/projection/projection_bench.hpp.
#include "model.hpp"
#include "projection_bench.hpp"

int main(int argc, char** argv) {
    using fanout::test::ReferenceModel;
    ReferenceModel reference;
    return fanout::bench::run_projection_bench(
        argc, argv,
        {"sql_read_model_bench", "events/s of fanoutd + sql_read_model (SQLite, PostgreSQL) next to the no-op plugin",
         "libfanout_sql_read_model.so", "checkpoints", "rm", 2000},
        reference, [](const ReferenceModel& model, soci::session& db) {
            return fanout::test::differences(model.model(), fanout::test::read_model(db), 5);
        });
}
