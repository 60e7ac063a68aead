#pragma once
// fanoutd as a whole: one pipeline per plugin, a shared producer for dead
// letters and derived events, hot reload of the configuration.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config.hpp"
#include "dead_letter.hpp"
#include "metrics.hpp"
#include "pipeline.hpp"
#include "plugin_factory.hpp"
#include "producer.hpp"
#include "rebuilds.hpp"

namespace fanout::daemon {

/// Exit codes (sysexits.h where one fits).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 64;        // EX_USAGE
inline constexpr int unavailable = 69;  // EX_UNAVAILABLE: a plugin failed to start
inline constexpr int software = 70;     // EX_SOFTWARE: drain timeout exceeded
inline constexpr int config = 78;       // EX_CONFIG
}  // namespace exit_code

class Daemon {
public:
    Daemon(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories);
    ~Daemon();

    /// Start every pipeline; false (after stopping the others) when one
    /// failed to start. Waits at most `timeout` for plugins to come up.
    bool start(std::chrono::milliseconds timeout);
    /// Ask every pipeline to finish its batch and stop.
    void request_stop();
    /// Wait for all pipelines up to the drain timeout; false if one is stuck.
    bool wait_drained();

    /// SIGHUP. Apply a new, already validated configuration: start added
    /// plugins, stop removed ones, restart changed ones; untouched plugins
    /// keep running (their scripts are reloaded if changed on disk). When
    /// the shared settings (kafka, group prefix, dead letters) changed,
    /// every pipeline restarts. Returns a one-line summary.
    std::string reload(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories);

    /// Visit every pipeline under the daemon's lock (for admin and systemd).
    void for_each_pipeline(const std::function<void(const Pipeline&)>& visit) const;
    bool all_joined() const;
    /// An operator's pause (true) or resume of the plugin named `plugin`;
    /// kept across reloads. False when no such plugin runs.
    bool set_paused(const std::string& plugin, bool paused);
    /// A redrive wrote to the plugin's redrive topic: its pipeline follows
    /// it. False when no such plugin runs.
    bool follow_redrive(const std::string& plugin);
    /// True when no pipeline is stuck longer than `limit` (watchdog).
    bool all_making_progress(std::chrono::milliseconds limit) const;

    // Rebuilds (daemon_rebuilds.cpp): a second pipeline of a checkpointing
    // projection, `<name>.rebuild` in its own group, whose plugin builds a
    // new generation of its tables from offset 0 and makes it live once
    // caught up (sql-projection's generations.hpp). Visited by
    // for_each_pipeline like the others.
    /// POST /plugins/NAME/rebuild: HTTP status and JSON body. Reads the
    /// broker's watermarks (seconds at worst): not on the admin I/O thread.
    std::pair<unsigned, std::string> start_rebuild(const std::string& plugin);
    /// The supervisor's tick: progress, the end of a rebuild whose generation
    /// is live or whose pipeline failed, and the resumption of a rebuild the
    /// plugin says is under way (fanoutd was restarted in the middle).
    void supervise_rebuilds();
    std::vector<RebuildView> rebuilds() const;
    std::optional<RebuildView> rebuild(const std::string& plugin) const;

    MetricsRegistry& metrics() noexcept { return metrics_; }
    const MetricsRegistry& metrics() const noexcept { return metrics_; }
    std::shared_ptr<const DaemonSettings> settings() const;

private:
    std::unique_ptr<Pipeline> make_pipeline(const PluginSettings& plugin, std::unique_ptr<PluginFactory> factory);
    void build_shared(const DaemonSettings& settings);
    static void stop_all(std::vector<std::unique_ptr<Pipeline>>& pipelines, std::chrono::milliseconds drain);

    struct Rebuild {
        std::unique_ptr<Pipeline> pipeline;  ///< while building
        RebuildView view;
        RebuildProgress progress;
    };
    /// Under mutex_: start the pipeline that rebuilds `live`'s plugin.
    std::optional<std::string> launch_rebuild(const Pipeline& live);
    /// Under mutex_: the running pipeline of `plugin` (not a rebuild's).
    const Pipeline* find_pipeline(const std::string& plugin) const;

    MetricsRegistry metrics_;
    mutable std::mutex mutex_;  // guards settings_ and pipelines_ (not the pipelines' own state)
    std::shared_ptr<const DaemonSettings> settings_;
    std::set<std::string> paused_plugins_;  ///< held by an operator, by plugin name
    std::unique_ptr<SyncProducer> producer_;
    std::unique_ptr<DeadLetterSink> dead_letters_;
    std::unique_ptr<HostServices> services_;
    std::vector<std::unique_ptr<Pipeline>> pipelines_;
    std::map<std::string, Rebuild> rebuilds_;  ///< by plugin name
};

}  // namespace fanout::daemon
