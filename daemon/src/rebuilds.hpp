#pragma once
// Rebuilds of checkpointing projections (fanoutctl rebuild, POST
// /plugins/NAME/rebuild): what fanoutd shows of each, how its progress and
// ETA are estimated, and the retention check that refuses a rebuild the log
// can no longer feed from offset 0. The pipelines themselves are the
// Daemon's (daemon_rebuilds.cpp); the generations are the projection
// engine's (sql-projection's generations.hpp).
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"

namespace fanout::daemon {

/// What /rebuilds and /plugins/NAME/rebuild show of one rebuild.
struct RebuildView {
    std::string plugin;
    std::string state = "idle";  ///< building, switched, failed (idle: none since fanoutd started)
    std::optional<int> generation;  ///< being built, once the plugin said
    std::int64_t position = 0;      ///< events of its topics read so far (sum over partitions)
    std::int64_t end = 0;           ///< the topics' ends (sum of high watermarks)
    double progress = 0;            ///< position / end
    double events_per_second = 0;   ///< over the last ~10 s
    std::optional<double> eta_seconds;
    std::string started_at, switched_at, error;
};

/// JSON object of a view (the admin API's rebuild object).
std::string rebuild_json(const RebuildView& view);

/// Progress and ETA from samples of a rebuild's position: the rate over the
/// last ~10 s of samples; the ETA is what remains at that rate.
class RebuildProgress {
public:
    using Clock = std::chrono::steady_clock;
    void sample(Clock::time_point at, std::int64_t position, std::int64_t end);
    /// Fills position, end, progress, rate and ETA of `view`.
    void describe(RebuildView& view) const;

private:
    std::deque<std::pair<Clock::time_point, std::int64_t>> samples_;
    std::int64_t position_ = 0, end_ = 0;
};

struct PartitionWatermarks {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t low = 0, high = 0;
};

/// The watermarks of every partition of `topics` (topics that do not exist
/// have none). Throws std::runtime_error when the broker cannot say.
std::vector<PartitionWatermarks> read_watermarks(const DaemonSettings& settings, const std::vector<std::string>& topics);

/// Why a rebuild from offset 0 is impossible (retention removed the start of
/// some partition: each named with its earliest offset), or nothing.
std::optional<std::string> retention_refusal(const std::string& plugin, const std::vector<PartitionWatermarks>& marks);

/// The name of the pipeline that rebuilds `plugin` ("read_model.rebuild").
inline constexpr const char* k_rebuild_suffix = ".rebuild";

/// The settings of the pipeline that rebuilds the plugin of `live`: its own
/// name and consumer group (`<name>.rebuild`), every topic from offset 0, and
/// no redrive topic — the log from offset 0 holds every event a redrive
/// would send again, and a redriven copy read before its post's earlier
/// events would be a version gap in the new generation.
PluginSettings rebuild_settings(const PluginSettings& live);

/// RFC 3339 UTC with milliseconds, now.
std::string utc_now_text();

}  // namespace fanout::daemon
