#include "prometheus.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "daemon.hpp"
#include "plugin_context.hpp"

namespace fanout::daemon {
namespace {

// Pipeline counters and how they are exported.
struct CounterExport {
    const char* name;
    const char* metric;
    const char* label;  // extra label, e.g. outcome="done"
    const char* help;   // on the metric's first line
};
constexpr const char* k_events_help = "Events per plugin by outcome.";
constexpr CounterExport k_counters[] = {
    {"events_done", "fanout_events_total", "outcome=\"done\"", k_events_help},
    {"events_retried", "fanout_events_total", "outcome=\"retried\"", k_events_help},
    {"events_dead_lettered", "fanout_events_total", "outcome=\"dead_lettered\"", k_events_help},
    {"events_filtered", "fanout_events_total", "outcome=\"filtered\"", k_events_help},
    {"handler_exceptions", "fanout_handler_exceptions_total", nullptr, "Exceptions thrown by the plugin's handler."},
    {"batches", "fanout_batches_total", nullptr, "Batches handed to the plugin."},
    {"fetch_wakeups", "fanout_fetch_wakeups_total", nullptr,
     "Times the Kafka fetchers were woken because less than a batch was queued."},
    {"dead_letters_redriven", "fanout_dead_letters_redriven_total", nullptr,
     "Dead letters written to the plugin's redrive topic (fanoutctl dlq redrive)."},
    {"rebuilds_switched", "fanout_rebuilds_switched_total", nullptr,
     "Rebuilds whose new generation was made live (fanoutctl rebuild)."},
};


const double k_process_start_seconds =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

std::string number(double v) {
    if (v == static_cast<double>(static_cast<long long>(v))) return std::to_string(static_cast<long long>(v));
    return fmt::format("{}", v);
}

void process_metrics(std::ostringstream& out) {
    long rss_pages = 0;
    {
        std::ifstream statm("/proc/self/statm");
        long size = 0;
        statm >> size >> rss_pages;
    }
    double cpu_seconds = 0;
    {
        std::ifstream stat("/proc/self/stat");
        std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        // Fields after the command name (which may contain spaces) start past ')'.
        const auto close = content.rfind(')');
        if (close != std::string::npos) {
            std::istringstream fields(content.substr(close + 2));
            std::vector<std::string> v;
            for (std::string f; fields >> f;) v.push_back(f);
            if (v.size() > 12) {
                cpu_seconds = (std::stod(v[11]) + std::stod(v[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
            }
        }
    }
    // Taken at static initialisation: /proc/stat may be hidden (ProcSubset=pid).
    const double start_seconds = k_process_start_seconds;
    out << "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        << "# TYPE process_resident_memory_bytes gauge\n"
        << "process_resident_memory_bytes " << rss_pages * sysconf(_SC_PAGESIZE) << "\n"
        << "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        << "# TYPE process_cpu_seconds_total counter\n"
        << "process_cpu_seconds_total " << number(cpu_seconds) << "\n"
        << "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
        << "# TYPE process_start_time_seconds gauge\n"
        << "process_start_time_seconds " << number(start_seconds) << "\n";
}

}  // namespace

std::string escape_label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

namespace {

/// Rebuild metrics of every projection that keeps generations, and of every
/// rebuild since fanoutd started.
void rebuild_metrics(const Daemon& daemon, const std::vector<std::string>& plugins, std::ostringstream& out) {
    std::map<std::string, RebuildView> views;
    for (const std::string& p : plugins) {
        if (daemon.metrics().gauge_value(p, plugin_metric("generation"))) views[p].plugin = p;
    }
    for (RebuildView& v : daemon.rebuilds()) views[v.plugin] = std::move(v);
    if (views.empty()) return;
    const auto family = [&](const char* metric, const char* help, auto value) {
        out << "# HELP " << metric << " " << help << "\n# TYPE " << metric << " gauge\n";
        for (const auto& [plugin, v] : views) {
            const std::optional<double> x = value(v);
            if (x) out << metric << "{plugin=\"" << escape_label(plugin) << "\"} " << number(*x) << "\n";
        }
    };
    family("fanout_rebuild_active", "1 while a rebuild builds a new generation of the plugin's tables.",
           [](const RebuildView& v) { return std::optional<double>(v.state == "building" ? 1 : 0); });
    family("fanout_rebuild_progress_ratio", "Events a rebuild has read over its topics' ends (0..1).",
           [](const RebuildView& v) { return std::optional<double>(v.progress); });
    family("fanout_rebuild_position_events", "Events a rebuild has read so far (sum over its partitions).",
           [](const RebuildView& v) { return std::optional<double>(static_cast<double>(v.position)); });
    family("fanout_rebuild_eta_seconds", "Estimated seconds until a rebuild has caught up (absent when unknown).",
           [](const RebuildView& v) { return v.state == "building" ? v.eta_seconds : std::nullopt; });
}

}  // namespace

std::string render_prometheus(const Daemon& daemon) {
    std::ostringstream out;
    const auto samples = daemon.metrics().snapshot();
    std::map<std::pair<std::string, std::string>, double> values;
    for (const auto& s : samples) values[{s.plugin, s.name}] = s.value;

    std::vector<std::string> plugins;
    std::vector<PipelineStatus> statuses;
    daemon.for_each_pipeline([&](const Pipeline& p) {
        plugins.push_back(p.settings().name);
        statuses.push_back(p.status());
    });

    const char* last_metric = "";
    for (const auto& c : k_counters) {
        if (std::string(last_metric) != c.metric) {
            out << "# HELP " << c.metric << " " << c.help << "\n# TYPE " << c.metric << " counter\n";
            last_metric = c.metric;
        }
        for (const auto& plugin : plugins) {
            out << c.metric << "{plugin=\"" << escape_label(plugin) << "\"" << (c.label ? "," : "")
                << (c.label ? c.label : "") << "} " << number(values[{plugin, c.name}]) << "\n";
        }
    }

    out << "# HELP fanout_pipeline_up 1 when the plugin's pipeline is running.\n# TYPE fanout_pipeline_up gauge\n";
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        out << "fanout_pipeline_up{plugin=\"" << escape_label(plugins[i]) << "\"} "
            << (statuses[i].state == PipelineState::running ? 1 : 0) << "\n";
    }
    out << "# HELP fanout_plugin_degraded 1 while transient failures (an outage) have held the plugin for longer "
           "than its retry.degraded_after_ms.\n# TYPE fanout_plugin_degraded gauge\n";
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        out << "fanout_plugin_degraded{plugin=\"" << escape_label(plugins[i]) << "\"} " << (statuses[i].degraded ? 1 : 0)
            << "\n";
    }
    out << "# HELP fanout_plugin_paused 1 while an operator holds the plugin paused.\n"
           "# TYPE fanout_plugin_paused gauge\n";
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        out << "fanout_plugin_paused{plugin=\"" << escape_label(plugins[i]) << "\"} " << (statuses[i].paused ? 1 : 0)
            << "\n";
    }
    out << "# HELP fanout_consumer_lag Events between the consumer's position and the partition's end.\n"
        << "# TYPE fanout_consumer_lag gauge\n";
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        for (const auto& a : statuses[i].assignment) {
            if (a.lag < 0) continue;
            out << "fanout_consumer_lag{plugin=\"" << escape_label(plugins[i]) << "\",topic=\"" << escape_label(a.topic)
                << "\",partition=\"" << a.partition << "\"} " << a.lag << "\n";
        }
    }

    out << "# HELP fanout_partition_held 1 for a partition that does not move on (retry backoff, a dead letter "
           "not yet written, or a stopped plugin), by reason; its lag counts from the held position.\n"
        << "# TYPE fanout_partition_held gauge\n";
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        for (const auto& a : statuses[i].assignment) {
            if (!a.held) continue;
            out << "fanout_partition_held{plugin=\"" << escape_label(plugins[i]) << "\",topic=\""
                << escape_label(a.topic) << "\",partition=\"" << a.partition << "\",reason=\""
                << to_string(a.hold_reason) << "\"} 1\n";
        }
    }

    const auto histograms = daemon.metrics().histograms();
    for (const auto& [name, metric, help] :
         {std::tuple{"handler_seconds", "fanout_handler_duration_seconds", "Time the plugin spent per batch."},
          std::tuple{"batch_size", "fanout_batch_size", "Events handed to the plugin per batch."}}) {
        out << "# HELP " << metric << " " << help << "\n# TYPE " << metric << " histogram\n";
        for (const auto& h : histograms) {
            if (h.name != name) continue;
            const std::string plugin = escape_label(h.plugin);
            for (std::size_t b = 0; b < h.data.upper_bounds.size(); ++b) {
                out << metric << "_bucket{plugin=\"" << plugin << "\",le=\"" << number(h.data.upper_bounds[b]) << "\"} "
                    << h.data.cumulative[b] << "\n";
            }
            out << metric << "_bucket{plugin=\"" << plugin << "\",le=\"+Inf\"} " << h.data.count << "\n"
                << metric << "_sum{plugin=\"" << plugin << "\"} " << number(h.data.sum) << "\n"
                << metric << "_count{plugin=\"" << plugin << "\"} " << h.data.count << "\n";
        }
    }

    // Metrics plugins define through Context::counter / gauge.
    bool counter_header = false, gauge_header = false;
    for (const auto& s : samples) {
        if (s.name.rfind("custom_", 0) != 0) continue;
        const std::string name = escape_label(s.name.substr(7));
        if (s.is_counter) {
            if (!counter_header) {
                out << "# HELP fanout_plugin_counter_total Counters defined by plugins.\n"
                    << "# TYPE fanout_plugin_counter_total counter\n";
                counter_header = true;
            }
            out << "fanout_plugin_counter_total{plugin=\"" << escape_label(s.plugin) << "\",name=\"" << name << "\"} "
                << number(s.value) << "\n";
        }
    }
    for (const auto& s : samples) {
        if (s.name.rfind("custom_", 0) != 0 || s.is_counter) continue;
        if (!gauge_header) {
            out << "# HELP fanout_plugin_gauge Gauges defined by plugins.\n# TYPE fanout_plugin_gauge gauge\n";
            gauge_header = true;
        }
        out << "fanout_plugin_gauge{plugin=\"" << escape_label(s.plugin) << "\",name=\""
            << escape_label(s.name.substr(7)) << "\"} " << number(s.value) << "\n";
    }
    rebuild_metrics(daemon, plugins, out);
    process_metrics(out);
    return out.str();
}

}  // namespace fanout::daemon
