#pragma once
// The benchmark of an exactly-once SQL projection plugin, end to end: loads N
// generated post events into a fresh topic, then runs fanoutd over it once
// per scenario and prints the figures side by side:
//   noop        fanoutd + the no-op plugin: the raw consume rate of this run
//               (batch.parse_ahead off: it never reads an envelope)
//   sqlite      fanoutd + the projection into a fresh SQLite file
//   postgresql  fanoutd + the projection into a fresh schema on --pg
//   sqlite-b, postgresql-b, noop-b: the same with the fanoutd and plugins
//               of --b-bin-dir / --b-lib-dir (another build, for an A/B)
// --batches 200,1000,10000 runs every scenario at each batch size (the
// per-batch cost: CPU per event against batch size). --repeat N runs the
// whole list N times, alternating, so a slower spell of the host hits every
// scenario; a median row per scenario and batch size follows the runs.
//
// Measured from outside: from fork() until every event is accounted for
// (the projection's checkpoint table; the group's committed offsets for
// noop). The projection's tables are then compared with a reference folded
// directly from the events (exactly-once kept or not). Prints figures,
// never a pass/fail verdict on speed.
#include <functional>
#include <string>

#include <soci/soci.h>

namespace fanout::bench {

/// What a projection's benchmark states; run_projection_bench does the rest.
struct ProjectionBenchSpec {
    std::string program;           ///< "sql_read_model_bench"
    std::string description;       ///< one line for --help
    std::string library;           ///< the plugin's file in the lib dir: "libfanout_sql_read_model.so"
    std::string checkpoint_table;  ///< where progress is read: "checkpoints"
    std::string tag;               ///< short name for topics, groups and schemas: "rm"
    int default_batch = 1000;
    /// Fold one produced event (its JSON value) into the reference.
    std::function<void(const std::string& value)> reference = {};
    /// The projection's tables on `session` against the reference: empty
    /// when equal, else the first differences.
    std::function<std::string(soci::session& session)> differences = {};
    /// More plugin options, as YAML lines indented 6 spaces (after `connection:`).
    std::string extra_options = {};
};

/// Parse the command line (--help lists the options) and run. Returns the
/// process exit code: 0 when every scenario finished (whatever its speed).
int run_projection_bench(int argc, char** argv, const ProjectionBenchSpec& spec);

/// run_projection_bench, the tables compared with `reference`, a fold of
/// the produced events as the projection's tests keep it: each event goes to
/// `reference.apply(value)`; `compare(reference, session)` names the first
/// differences (empty when equal).
template <typename Reference, typename Compare>
int run_projection_bench(int argc, char** argv, ProjectionBenchSpec spec, Reference& reference, Compare compare) {
    spec.reference = [&reference](const std::string& value) { reference.apply(value); };
    spec.differences = [&reference, compare](soci::session& session) { return compare(reference, session); };
    return run_projection_bench(argc, argv, spec);
}

}  // namespace fanout::bench
