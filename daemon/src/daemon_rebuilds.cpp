// The Daemon's rebuilds: the pipeline that builds a new generation of a
// projection's tables beside the live one (daemon.hpp, rebuilds.hpp).
#include <algorithm>

#include "daemon.hpp"
#include "plugin_context.hpp"
#include "fanout/common/json_object.hpp"
#include "log.hpp"

namespace fanout::daemon {
namespace {

std::string message(const std::string& text) { return common::json_object({{"error", text}}); }

}  // namespace

const Pipeline* Daemon::find_pipeline(const std::string& plugin) const {
    const auto it = std::find_if(pipelines_.begin(), pipelines_.end(),
                                 [&](const std::unique_ptr<Pipeline>& p) { return p->settings().name == plugin; });
    return it == pipelines_.end() ? nullptr : it->get();
}

std::optional<std::string> Daemon::launch_rebuild(const Pipeline& live) {
    const std::string& plugin = live.settings().name;
    std::unique_ptr<PluginFactory> factory = live.factory().for_rebuild(settings_->rebuild_retire_after);
    if (!factory) return "plugin " + plugin + " cannot be rebuilt: only library plugins build generations";
    PluginSettings settings = rebuild_settings(live.settings());
    // The gauges of an earlier rebuild of this plugin must not speak for this one.
    metrics_.gauge(settings.name, plugin_metric("rebuild_state")).set(0);
    metrics_.gauge(settings.name, plugin_metric("generation")).set(0);
    Rebuild& entry = rebuilds_[plugin];
    entry = Rebuild{};
    entry.view.plugin = plugin;
    entry.view.state = "building";
    entry.view.started_at = utc_now_text();
    entry.pipeline = make_pipeline(settings, std::move(factory));
    entry.pipeline->start();
    return std::nullopt;
}

std::pair<unsigned, std::string> Daemon::start_rebuild(const std::string& plugin) {
    std::vector<std::string> topics;
    std::shared_ptr<const DaemonSettings> settings;
    {
        std::lock_guard lock(mutex_);
        const Pipeline* live = find_pipeline(plugin);
        if (!live) return {404, message("no such plugin: " + plugin)};
        if (const auto r = rebuilds_.find(plugin); r != rebuilds_.end() && r->second.pipeline) {
            return {409, message("a rebuild of " + plugin + " runs already; follow it with GET /plugins/" + plugin +
                                 "/rebuild")};
        }
        // Only the projection engine's plugins keep generations (they publish this gauge).
        if (!metrics_.gauge_value(plugin, plugin_metric("generation"))) {
            return {409, message("plugin " + plugin +
                                 " does not keep its tables in generations: only checkpointing SQL projections "
                                 "(the read model, analytics, sql_config, the SQL projection engine's plugins) can be "
                                 "rebuilt")};
        }
        topics = live->settings().topics;
        settings = settings_;
    }
    std::vector<PartitionWatermarks> marks;
    try {
        marks = read_watermarks(*settings, topics);
    } catch (const std::exception& e) {
        return {503, message(std::string("cannot check the topics' retention: ") + e.what())};
    }
    if (std::optional<std::string> refusal = retention_refusal(plugin, marks)) return {409, message(*refusal)};

    std::lock_guard lock(mutex_);
    const Pipeline* live = find_pipeline(plugin);
    if (!live) return {404, message("no such plugin: " + plugin)};
    if (const auto r = rebuilds_.find(plugin); r != rebuilds_.end() && r->second.pipeline) {
        return {409, message("a rebuild of " + plugin + " runs already")};
    }
    if (std::optional<std::string> refusal = launch_rebuild(*live)) return {409, message(*refusal)};
    log().info("admin: rebuild of {} started: pipeline {}{} reads its topics from offset 0", plugin, plugin,
               k_rebuild_suffix);
    return {202, rebuild_json(rebuilds_.at(plugin).view)};
}

void Daemon::supervise_rebuilds() {
    std::vector<std::unique_ptr<Pipeline>> finished;
    {
        std::lock_guard lock(mutex_);
        const auto now = RebuildProgress::Clock::now();
        for (auto& [plugin, r] : rebuilds_) {
            if (!r.pipeline) continue;
            const std::string label = plugin + k_rebuild_suffix;
            if (const auto g = metrics_.gauge_value(label, plugin_metric("generation")); g && *g > 0) {
                r.view.generation = static_cast<int>(*g);
            }
            const PipelineStatus status = r.pipeline->status();
            std::int64_t position = 0, end = 0;
            for (const PartitionStatus& p : status.assignment) {
                position += std::max<std::int64_t>(0, p.position);
                end += std::max<std::int64_t>(0, p.high_watermark);
            }
            r.progress.sample(now, position, end);
            r.progress.describe(r.view);
            if (metrics_.gauge_value(label, plugin_metric("rebuild_state")).value_or(0) == 2) {
                r.view.state = "switched";
                r.view.switched_at = utc_now_text();
                r.view.eta_seconds = 0.0;
                metrics_.counter(plugin, "rebuilds_switched").add(1);
                log().info("[{}] rebuild done: generation {} is live", plugin,
                           r.view.generation ? std::to_string(*r.view.generation) : std::string("?"));
                finished.push_back(std::move(r.pipeline));
            } else if (status.state == PipelineState::failed) {
                r.view.state = "failed";
                r.view.error = status.last_error;
                log().error("[{}] rebuild failed: {}", plugin, status.last_error);
                finished.push_back(std::move(r.pipeline));
            }
        }
        // fanoutd stopped in the middle of a rebuild: the live plugin says one is under way.
        for (const auto& p : pipelines_) {
            const std::string& plugin = p->settings().name;
            if (rebuilds_.count(plugin) != 0) continue;
            if (metrics_.gauge_value(plugin, plugin_metric("rebuild_pending")).value_or(0) != 1) continue;
            if (std::optional<std::string> refusal = launch_rebuild(*p)) {
                log().error("[{}] a rebuild is under way but cannot be resumed: {}", plugin, *refusal);
                rebuilds_[plugin].view.state = "failed";
                rebuilds_[plugin].view.error = *refusal;
                continue;
            }
            log().info("[{}] resuming the rebuild under way (its generation's checkpoints say where)", plugin);
        }
    }
    stop_all(finished, settings()->drain_timeout);
}

std::vector<RebuildView> Daemon::rebuilds() const {
    std::lock_guard lock(mutex_);
    std::vector<RebuildView> out;
    for (const auto& [plugin, r] : rebuilds_) out.push_back(r.view);
    return out;
}

std::optional<RebuildView> Daemon::rebuild(const std::string& plugin) const {
    std::lock_guard lock(mutex_);
    if (const auto r = rebuilds_.find(plugin); r != rebuilds_.end()) return r->second.view;
    if (!find_pipeline(plugin)) return std::nullopt;
    RebuildView idle;
    idle.plugin = plugin;
    return idle;
}

}  // namespace fanout::daemon
