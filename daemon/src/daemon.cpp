#include "daemon.hpp"

#include <algorithm>
#include <map>

#include "log.hpp"

namespace fanout::daemon {

Daemon::Daemon(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories) {
    build_shared(settings);
    settings_ = std::make_shared<const DaemonSettings>(std::move(settings));
    for (std::size_t i = 0; i < settings_->plugins.size(); ++i) {
        pipelines_.push_back(make_pipeline(settings_->plugins[i], std::move(factories.at(i))));
    }
}

Daemon::~Daemon() {
    request_stop();
    std::lock_guard lock(mutex_);
    rebuilds_.clear();
    pipelines_.clear();  // joins; before the producer they use
}

void Daemon::build_shared(const DaemonSettings& settings) {
    producer_ = std::make_unique<SyncProducer>(settings, "fanoutd-producer");
    dead_letters_ = std::make_unique<DeadLetterSink>(settings.dead_letter_topic, *producer_);
    services_ = std::make_unique<HostServices>(HostServices{*producer_});
}

std::unique_ptr<Pipeline> Daemon::make_pipeline(const PluginSettings& plugin, std::unique_ptr<PluginFactory> factory) {
    auto pipeline = std::make_unique<Pipeline>(settings_, plugin, std::move(factory), *dead_letters_, *services_, metrics_);
    // A pause outlives the pipeline: a reload that restarts it keeps it held.
    if (paused_plugins_.count(plugin.name) != 0) pipeline->set_paused(true);
    return pipeline;
}

bool Daemon::set_paused(const std::string& plugin, bool paused) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(pipelines_.begin(), pipelines_.end(),
                                 [&](const std::unique_ptr<Pipeline>& p) { return p->settings().name == plugin; });
    if (it == pipelines_.end()) return false;
    if (paused) {
        paused_plugins_.insert(plugin);
    } else {
        paused_plugins_.erase(plugin);
    }
    (*it)->set_paused(paused);
    return true;
}

bool Daemon::follow_redrive(const std::string& plugin) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(pipelines_.begin(), pipelines_.end(),
                                 [&](const std::unique_ptr<Pipeline>& p) { return p->settings().name == plugin; });
    if (it == pipelines_.end()) return false;
    (*it)->request_redrive_follow();
    return true;
}

std::shared_ptr<const DaemonSettings> Daemon::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

bool Daemon::start(std::chrono::milliseconds timeout) {
    std::lock_guard lock(mutex_);
    for (auto& p : pipelines_) p->start();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = true;
    for (auto& p : pipelines_) {
        const PipelineState state = p->wait_started(deadline);
        if (state == PipelineState::failed) {
            log().error("plugin '{}' failed to start: {}", p->settings().name, p->last_error());
            ok = false;
        } else if (state == PipelineState::starting) {
            log().error("plugin '{}' did not start within {} ms", p->settings().name, timeout.count());
            ok = false;
        }
    }
    if (!ok) stop_all(pipelines_, settings_->drain_timeout);
    return ok;
}

void Daemon::request_stop() {
    std::lock_guard lock(mutex_);
    for (auto& p : pipelines_) p->request_stop();
    for (auto& [name, r] : rebuilds_) {
        if (r.pipeline) r.pipeline->request_stop();
    }
}

bool Daemon::wait_drained() {
    std::lock_guard lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + settings_->drain_timeout;
    bool ok = true;
    std::vector<Pipeline*> all;
    for (auto& p : pipelines_) all.push_back(p.get());
    for (auto& [name, r] : rebuilds_) {
        if (r.pipeline) all.push_back(r.pipeline.get());
    }
    for (Pipeline* p : all) {
        if (!p->wait_finished(deadline)) {
            log().error("[{}] did not finish within the drain timeout ({} ms)", p->settings().name,
                        settings_->drain_timeout.count());
            ok = false;
        }
    }
    return ok;
}

void Daemon::stop_all(std::vector<std::unique_ptr<Pipeline>>& pipelines, std::chrono::milliseconds drain) {
    for (auto& p : pipelines) p->request_stop();
    const auto deadline = std::chrono::steady_clock::now() + drain;
    for (auto& p : pipelines) {
        if (!p->wait_finished(deadline)) {
            log().error("[{}] did not stop within the drain timeout; waiting for it", p->settings().name);
        }
    }
    pipelines.clear();  // joins the stragglers
}

std::string Daemon::reload(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories) {
    std::lock_guard lock(mutex_);
    const bool global_changed = settings.global_fingerprint != settings_->global_fingerprint;
    auto fresh = std::make_shared<const DaemonSettings>(std::move(settings));

    std::map<std::string, std::unique_ptr<Pipeline>> old;
    for (auto& p : pipelines_) old.emplace(p->settings().name, std::move(p));
    pipelines_.clear();

    std::vector<std::unique_ptr<Pipeline>> to_stop;
    std::vector<std::size_t> to_start;  // indexes into fresh->plugins
    std::vector<std::unique_ptr<Pipeline>> next(fresh->plugins.size());
    std::size_t kept = 0, reloaded = 0;
    for (std::size_t i = 0; i < fresh->plugins.size(); ++i) {
        const PluginSettings& ps = fresh->plugins[i];
        auto it = old.find(ps.name);
        const bool unchanged = !global_changed && it != old.end() && it->second->settings().fingerprint == ps.fingerprint &&
                               it->second->state() != PipelineState::failed;
        if (unchanged) {
            if (it->second->factory().changed_on_disk()) {
                it->second->request_reload();
                ++reloaded;
            }
            next[i] = std::move(it->second);
            ++kept;
        } else {
            if (it != old.end()) to_stop.push_back(std::move(it->second));
            to_start.push_back(i);
        }
        if (it != old.end()) old.erase(it);
    }
    for (auto& [name, p] : old) to_stop.push_back(std::move(p));  // removed from the config

    // A rebuild stops with its plugin: removed, it is over; restarted (its
    // settings or the shared ones changed, which the rebuild's pipeline
    // holds too), the supervisor resumes it with the new settings, in the
    // same generation, once the plugin says one is under way.
    for (auto it = rebuilds_.begin(); it != rebuilds_.end();) {
        const bool restarted = std::any_of(to_stop.begin(), to_stop.end(), [&](const std::unique_ptr<Pipeline>& p) {
            return p->settings().name == it->first;
        });
        const bool removed = std::none_of(fresh->plugins.begin(), fresh->plugins.end(),
                                          [&](const PluginSettings& ps) { return ps.name == it->first; });
        if (!it->second.pipeline || !(restarted || global_changed)) {
            ++it;
            continue;
        }
        to_stop.push_back(std::move(it->second.pipeline));
        if (removed) {
            it->second.view.state = "failed";
            it->second.view.error = "the plugin was removed from the configuration";
            ++it;
        } else {
            it = rebuilds_.erase(it);
        }
    }

    // Stop before starting: a restarted plugin must leave its group first.
    const std::size_t stopped = to_stop.size();
    stop_all(to_stop, settings_->drain_timeout);
    if (global_changed) {
        log().info("reload: shared settings changed, restarting every pipeline");
        build_shared(*fresh);
    }
    settings_ = fresh;
    for (std::size_t i : to_start) {
        next[i] = make_pipeline(settings_->plugins[i], std::move(factories.at(i)));
        next[i]->start();
    }
    pipelines_ = std::move(next);
    return "kept " + std::to_string(kept) + " (" + std::to_string(reloaded) + " reloading from disk), stopped " +
           std::to_string(stopped) + ", started " + std::to_string(to_start.size());
}

void Daemon::for_each_pipeline(const std::function<void(const Pipeline&)>& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& p : pipelines_) visit(*p);
    for (const auto& [name, r] : rebuilds_) {
        if (r.pipeline) visit(*r.pipeline);
    }
}

// Readiness and the watchdog are the configured plugins' (a rebuild is extra work).
bool Daemon::all_joined() const {
    std::lock_guard lock(mutex_);
    return std::all_of(pipelines_.begin(), pipelines_.end(), [](const std::unique_ptr<Pipeline>& p) {
        const PipelineStatus s = p->status();
        return s.state == PipelineState::running && s.joined;
    });
}

bool Daemon::all_making_progress(std::chrono::milliseconds limit) const {
    std::lock_guard lock(mutex_);
    return std::all_of(pipelines_.begin(), pipelines_.end(),
                       [&](const std::unique_ptr<Pipeline>& p) { return p->making_progress(limit); });
}

}  // namespace fanout::daemon
