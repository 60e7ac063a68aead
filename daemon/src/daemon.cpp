#include "daemon.hpp"

#include "log.hpp"

namespace fanout::daemon {

Daemon::Daemon(DaemonSettings settings, std::vector<std::unique_ptr<PluginFactory>> factories)
    : settings_(std::move(settings)) {
    producer_ = std::make_unique<SyncProducer>(settings_, "fanoutd-producer");
    dead_letters_ = std::make_unique<DeadLetterSink>(settings_.dead_letter_topic, *producer_);
    services_ = std::make_unique<HostServices>(HostServices{*producer_});
    for (std::size_t i = 0; i < settings_.plugins.size(); ++i) {
        pipelines_.push_back(std::make_unique<Pipeline>(settings_, settings_.plugins[i], std::move(factories.at(i)),
                                                        *dead_letters_, *services_, metrics_));
    }
}

Daemon::~Daemon() {
    request_stop();
    pipelines_.clear();  // joins; before the dead-letter sink they use
}

bool Daemon::start(std::chrono::milliseconds timeout) {
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
    if (!ok) {
        request_stop();
        wait_drained();
    }
    return ok;
}

void Daemon::request_stop() {
    for (auto& p : pipelines_) p->request_stop();
}

void Daemon::reload_changed() {
    std::size_t reloading = 0;
    for (auto& p : pipelines_) {
        if (p->factory().changed_on_disk()) {
            p->request_reload();
            ++reloading;
        }
    }
    log().info("SIGHUP: {} plugin(s) changed on disk, reloading them between batches", reloading);
}

bool Daemon::wait_drained() {
    const auto deadline = std::chrono::steady_clock::now() + settings_.drain_timeout;
    bool ok = true;
    for (auto& p : pipelines_) {
        if (!p->wait_finished(deadline)) {
            log().error("[{}] did not finish within the drain timeout ({} ms)", p->settings().name,
                        settings_.drain_timeout.count());
            ok = false;
        }
    }
    return ok;
}

}  // namespace fanout::daemon
