#pragma once
// What fanout_bench prints and writes: the context of a run, the table, the
// side-by-side and projection summaries, the column legend and the CSV rows.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "event_load.hpp"
#include "options.hpp"
#include "runs.hpp"

namespace fanout::bench {

/// What was measured, on what: host, broker, topic, load, binaries, batch
/// settings, the scenarios and the work dir.
void print_context(const Options& o, const BenchSettings& s, const std::optional<LoadResult>& load,
                   const Properties& producer_props, const std::vector<Variant>& variants,
                   const std::vector<Scenario>& chosen);

void print_table(const std::vector<Result>& results, int rounds);

/// For every plugin that ran both side by side ("A+B: A") and alone ("A") in
/// the same round: its side-by-side rate as a share of its solo rate.
void print_side_by_side(const std::vector<Result>& results, int rounds);

/// Every projection scenario next to the C++ sql_read_model of its backend
/// in the same round: events/s and the share.
void print_projections(const std::vector<Result>& results, int rounds);

/// What the columns mean; `late_ms`: how late fanoutd's end may be seen.
void print_legend(int late_ms);

/// Appends the rows to `file` (a header first when it is new).
void write_csv(const std::filesystem::path& file, const std::vector<Result>& results, const BenchSettings& s);

}  // namespace fanout::bench
