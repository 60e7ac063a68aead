#pragma once
// One run of a scenario over the loaded topic, measured from outside: kcat
// and the poll loop by the lines they print (one per event), fanoutd by its
// groups' committed offsets, watched every --poll-ms from a separate client.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fanoutd_config.hpp"
#include "scenarios.hpp"

namespace fanout::bench {

struct BenchSettings {
    std::string brokers;
    std::string topic;
    int partitions = 0;
    std::uint64_t events = 0;  ///< in the topic
    std::vector<std::int64_t> end_offsets;
    std::size_t max_events = 1000;
    int linger_ms = 5;
    int commit_interval_ms = 100;
    int poll_ms = 50;
    int timeout_s = 600;
    Properties consumer_props;  ///< extra librdkafka consumer properties (all runners)
    std::filesystem::path fanoutd;
    std::filesystem::path self_exe;
    std::string kcat = "kcat";
    std::string run_id;
    pid_t broker_pid = -1;
    ScenarioEnv env;
};

struct Result {
    std::string scenario;
    int round = 1;
    bool ok = false;
    std::string note;
    std::uint64_t events = 0;  ///< consumed (kcat/poll) or committed (fanoutd)
    double elapsed = 0;        ///< process start -> all events consumed/committed
    double startup = 0;        ///< process start -> first progress seen
    std::uint64_t events_at_first = 0;
    double peak_rss_mb = -1;
    double cpu_s = -1;  ///< the consumer process' user+system CPU
    double broker_cpu_s = -1;
    double host_busy = -1;   ///< 0..1 over all cores, during the run
    double shutdown_s = -1;  ///< fanoutd: SIGTERM -> exit
    std::filesystem::path log;

    double rate() const { return elapsed > 0 ? static_cast<double>(events) / elapsed : 0; }
    /// -1 when progress was seen only once (everything done before the first look).
    double steady_rate() const {
        const double span = elapsed - startup;
        return span > 0 && events > events_at_first ? static_cast<double>(events - events_at_first) / span : -1;
    }
};

/// kcat -C ... -o beginning -c N -e: librdkafka's raw consume rate, no group.
Result run_kcat(const BenchSettings& s, const Scenario& sc, const std::filesystem::path& log);

/// This driver re-executed as --internal-poll-consumer in group `group`.
Result run_poll(const BenchSettings& s, const Scenario& sc, const std::string& group, const std::filesystem::path& log);

/// One Result per plugin: each plugin's group is watched on its own, so a side
/// by side run says when each plugin was done. The process figures (RSS, CPU)
/// are the whole fanoutd's, on every row.
std::vector<Result> run_fanoutd(const BenchSettings& s, const Scenario& sc, const std::string& group_prefix,
                                const std::filesystem::path& log);

/// --internal-poll-consumer BROKERS TOPIC GROUP COUNT [K=V...]: a minimal
/// consumer with fanoutd's consume model (subscribe, cooperative-sticky,
/// rd_kafka_consumer_poll per message) and no work: one line per message on
/// stdout, exits once COUNT messages were read.
int internal_poll_consumer(int argc, char** argv);

}  // namespace fanout::bench
