#include "supervisor.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config_error.hpp"
#include "daemon.hpp"
#include "log.hpp"
#include "plugin_factory.hpp"
#include "systemd_notify.hpp"

namespace fanout::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// STATUS= line: per-plugin event rates since the previous tick.
class RateTracker {
public:
    std::string line(const Daemon& daemon) {
        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last_time_).count();
        std::map<std::string, double> current;
        for (const auto& s : daemon.metrics().snapshot()) {
            if (s.name == "events_done") current[s.plugin] = s.value;
        }
        std::string out;
        daemon.for_each_pipeline([&](const Pipeline& p) {
            const std::string& name = p.settings().name;
            const double rate = seconds > 0 ? (current[name] - last_[name]) / seconds : 0;
            const PipelineStatus status = p.status();
            const auto held = std::count_if(status.assignment.begin(), status.assignment.end(),
                                            [](const PartitionStatus& ps) { return ps.held; });
            if (!out.empty()) out += ", ";
            out += fmt::format("{} {} {:.0f}/s", name, to_string(status.state), rate);
            if (held > 0) out += fmt::format(" ({} partitions held)", held);
            if (status.paused) out += " paused";
            if (status.degraded) out += fmt::format(" degraded ({}s outage)", status.outage_ms / 1000);
        });
        last_ = std::move(current);
        last_time_ = now;
        return out;
    }

private:
    std::map<std::string, double> last_;
    Clock::time_point last_time_ = Clock::now();
};

}  // namespace

Supervisor::Supervisor(Daemon& daemon, std::filesystem::path config_file, sigset_t signals)
    : daemon_(daemon), config_file_(std::move(config_file)), signals_(signals) {}

int Supervisor::run() {
    const auto watchdog = systemd::watchdog_interval();
    // Ping at half the interval, as sd_watchdog_enabled(3) advises.
    const auto tick_every = watchdog ? std::min<std::chrono::microseconds>(*watchdog / 2, std::chrono::seconds(1))
                                     : std::chrono::microseconds(std::chrono::seconds(1));
    RateTracker rates;
    auto next_status = Clock::now();
    for (;;) {
        timespec timeout{static_cast<time_t>(tick_every.count() / 1'000'000),
                         static_cast<long>((tick_every.count() % 1'000'000) * 1000)};
        const int sig = sigtimedwait(&signals_, nullptr, &timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            systemd::notify("STOPPING=1\nSTATUS=draining");
            log().info("received {}, draining (timeout {} ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                       daemon_.settings()->drain_timeout.count());
            daemon_.request_stop();
            if (!daemon_.wait_drained()) return exit_code::software;
            log().info("stopped cleanly");
            return exit_code::ok;
        }
        if (sig == SIGHUP) reload();
        daemon_.supervise_rebuilds();

        if (!ready_sent_ && daemon_.all_joined()) {
            systemd::notify("READY=1\nSTATUS=" + rates.line(daemon_));
            log().info("ready: every plugin joined its consumer group");
            ready_sent_ = true;
        }
        // A wedged pipeline silences the watchdog, so systemd restarts us.
        if (watchdog && daemon_.all_making_progress(std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog))) {
            systemd::notify("WATCHDOG=1");
        }
        if (Clock::now() >= next_status) {
            systemd::notify("STATUS=" + rates.line(daemon_));
            next_status = Clock::now() + std::chrono::seconds(5);
        }
    }
}

void Supervisor::reload() {
    systemd::notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", systemd::monotonic_usec()));
    log().info("SIGHUP: reloading {}", config_file_.string());
    try {
        DaemonSettings settings = load_config(config_file_);
        auto factories = prepare_plugins(settings);
        make_kafka_conf(settings.kafka, {}, settings.file);
        log().info("reload applied: {}", daemon_.reload(std::move(settings), std::move(factories)));
    } catch (const ConfigError& e) {
        log().error("reload rejected, the running configuration stays: {}", e.what());
    } catch (const std::exception& e) {
        log().error("reload failed, the running configuration stays: {}", e.what());
    }
    systemd::notify("READY=1");
}

}  // namespace fanout::daemon
