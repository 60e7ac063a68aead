// fanout_bench: loads N realistic post events into a fresh topic, then runs a
// list of named scenarios over it one after the other and prints a table of
// figures side by side: events/s, elapsed, startup, peak RSS and CPU.
//
// It prints figures, never pass/fail (DESIGN.md: bench/). The targets are
// printed for context only.
//
// Scenarios (see scenarios.cpp and --scenario NAME=FILE):
//   kcat     kcat -C ... -o beginning -c N -e: librdkafka's raw consume rate, no group
//   poll     this driver re-executed as a minimal rd_kafka_consumer_poll loop in
//            a consumer group (fanoutd's consume model with no work at all)
//   noop     fanoutd + the no-op plugin (bench/noop_plugin.cpp)
//   example  fanoutd + the example plugin appending JSON lines to /dev/null
//   read_model, notifier, analytics, lua-analytics
//            fanoutd + one of the shipped plugins (SQLite files in the run's
//            folder; the notifier posts to a receiver inside this driver)
//   read_model_config, analytics_config, read_model_lua, *_pg
//            the read model and the analytics counters as configuration or
//            Lua projections; *_pg on a fresh schema of --pg
//   A+B+C    side by side: one fanoutd running the scenarios A, B and C as
//            plugins, each in its own consumer group; one row per plugin
//
// fanoutd is measured from outside, honestly: from fork() until the group's
// committed offsets equal the topic's end offsets, watched with
// rd_kafka_committed() from a separate client every --poll-ms.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "bench_run.hpp"
#include "options.hpp"
#include "runs.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--internal-poll-consumer") {
        try {
            return fanout::bench::internal_poll_consumer(argc, argv);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "poll consumer: %s\n", e.what());
            return 1;
        }
    }
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) exe = "fanout_bench";
    fanout::bench::Options options;
    if (const auto exit_code = fanout::bench::parse_options(argc, argv, exe, options)) return *exit_code;
    return fanout::bench::run_bench(std::move(options), exe);
}
