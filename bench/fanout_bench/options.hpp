#pragma once
// fanout_bench's command line.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fanoutd_config.hpp"

namespace fanout::bench {

struct Options {
    std::string brokers;
    std::uint64_t n_events = 1'000'000;
    int partitions = 6;
    std::size_t posts = 0;
    std::uint64_t seed = 42;
    std::string topic;
    bool no_load = false, keep_topic = false, delete_topic_anyway = false, list = false;
    std::string scenario_list = "kcat,poll,noop,example";
    std::vector<std::string> extra_scenarios, kafka_props, producer_props, variant_specs;
    std::size_t max_events = 1000;
    int linger_ms = 5, commit_ms = 100, poll_ms = 50, repeat = 1, timeout_s = 600;
    std::string fanoutd, lib_dir;
    std::string kcat = "kcat", work_dir, csv, pg;
    pid_t broker_pid = -1;
};

/// Parses the command line, defaults next to `exe` (its bin dir). Returns
/// the exit code when there is nothing to run (--help, a bad option).
std::optional<int> parse_options(int argc, char** argv, const std::filesystem::path& exe, Options& o);

/// "K=V" -> {K, V}; throws std::runtime_error on anything else.
std::pair<std::string, std::string> split_property(const std::string& kv);

/// "K=V K=V", or "(none)".
std::string describe_properties(const Properties& props);

}  // namespace fanout::bench
