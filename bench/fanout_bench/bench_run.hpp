#pragma once
// One fanout_bench invocation: load the topic, run the chosen scenarios
// round after round, print the report, clean up.
#include <filesystem>

#include "options.hpp"

namespace fanout::bench {

/// The process exit code: 0 when every scenario finished, 1 when one could
/// not (never a performance verdict), 2 for a bad command line.
int run_bench(Options o, const std::filesystem::path& exe);

}  // namespace fanout::bench
