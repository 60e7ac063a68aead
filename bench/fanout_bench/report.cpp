#include "report.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "process_watch.hpp"
#include "report_format.hpp"

namespace fanout::bench {
namespace {

std::string round_suffix(const Result& r, int rounds) { return rounds > 1 ? " #" + std::to_string(r.round) : ""; }

/// The row of `scenario` in `r`'s round that finished, if any.
const Result* same_round(const std::vector<Result>& results, const std::string& scenario, const Result& r) {
    const Result* found = nullptr;
    for (const Result& k : results) {
        if (k.scenario == scenario && k.round == r.round && k.ok) found = &k;
    }
    return found;
}

std::string events_per_s(double rate) { return with_commas(static_cast<std::uint64_t>(rate)); }

}  // namespace

void print_context(const Options& o, const BenchSettings& s, const std::optional<LoadResult>& load,
                   const Properties& producer_props, const std::vector<Variant>& variants,
                   const std::vector<Scenario>& chosen) {
    using namespace std::chrono;
    utsname un{};
    uname(&un);
    std::cout << "fanout_bench  " << utc_text(floor<seconds>(system_clock::now()), ' ', false) << " UTC  host "
              << un.nodename << " (" << un.release << ", " << std::thread::hardware_concurrency() << " CPUs)\n";
    std::cout << "  broker        " << o.brokers
              << (o.broker_pid > 0 ? " (pid " + std::to_string(o.broker_pid) + ")" : "") << "\n";
    std::cout << "  topic         " << s.topic << ": " << with_commas(s.events) << " events over " << s.partitions
              << " partitions (";
    for (int p = 0; p < s.partitions; ++p) std::cout << (p ? " " : "") << s.end_offsets[p];
    std::cout << ")\n";
    if (load) {
        std::cout << "  load          " << fixed(load->seconds, 2) << " s, "
                  << events_per_s(static_cast<double>(load->events) / load->seconds) << " events/s; avg value "
                  << load->value_bytes / std::max<std::uint64_t>(load->events, 1) << " bytes; keys = post ids over "
                  << o.posts << " live posts; headers event-type, event-id, content-type\n  types        ";
        for (const auto& [type, count] : load->types) {
            std::cout << " " << type << " "
                      << fixed(100.0 * static_cast<double>(count) / static_cast<double>(load->events), 1) << "%";
        }
        std::cout << "\n  producer      " << describe_properties(producer_props)
                  << " (on top of enable.idempotence=true linger.ms=20 batch.num.messages=10000)\n";
    }
    std::cout << "  fanoutd       " << s.fanoutd.string() << ": "
              << first_line_of_command("'" + s.fanoutd.string() + "' --version 2>&1") << "\n";
    for (const auto& [vname, vpath] : variants) std::cout << "  variant @" << vname << "   " << vpath << "\n";
    std::cout << "  kcat          " << first_line_of_command(o.kcat + " -V 2>&1 | grep -m1 Version") << "\n";
    std::cout << "  batch         max_events " << o.max_events << ", linger_ms " << o.linger_ms
              << "; auto.commit.interval.ms " << o.commit_ms << ", committed offsets read every " << o.poll_ms
              << " ms\n";
    std::cout << "  extra consumer properties: " << describe_properties(s.consumer_props) << "\n";
    std::cout << "  scenarios:\n";
    for (const Scenario& sc : chosen) std::cout << "    " << pad(sc.name, 10, false) << sc.description << "\n";
    std::cout << "  work dir      " << s.env.work_dir.string() << " (generated configs and logs)\n";
    std::ifstream la("/proc/loadavg");
    std::string l1;
    la >> l1;
    std::cout << "  load average  " << l1 << " (1 min) before the first scenario\n" << std::endl;
}

void print_table(const std::vector<Result>& results, int rounds) {
    std::size_t name_width = 12;
    for (const Result& r : results) name_width = std::max(name_width, r.scenario.size() + (rounds > 1 ? 6 : 2));
    const std::vector<std::pair<std::string, std::size_t>> cols = {
        {"scenario", name_width}, {"events", 11},       {"elapsed s", 10}, {"events/s", 10},    {"vs kcat", 8},
        {"startup s", 10},        {"steady ev/s", 12},  {"vs kcat", 8},    {"peak RSS MB", 12}, {"CPU s", 7},
        {"CPU us/ev", 10},        {"broker CPU s", 13}, {"host busy", 10}};
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cols.size(); ++i)
            out += pad(cells[i], cols[i].second, i != 0) + (i + 1 < cols.size() ? "  " : "");
        return out;
    };
    std::vector<std::string> header, rule;
    for (const auto& [title, width] : cols) {
        header.push_back(title);
        rule.push_back(std::string(width, '-'));
    }
    std::cout << line(header) << "\n" << line(rule) << "\n";
    for (const Result& r : results) {
        const Result* ref = same_round(results, "kcat", r);
        auto pct = [&](double v, double base) {
            return ref && base > 0 && v >= 0 ? fixed(100.0 * v / base, 0) + "%" : "-";
        };
        std::cout << line({
                         r.scenario + round_suffix(r, rounds) + (r.ok ? "" : " !"),
                         with_commas(r.events),
                         fixed(r.elapsed, 2),
                         events_per_s(r.rate()),
                         pct(r.rate(), ref ? ref->rate() : 0),
                         fixed(r.startup, 2),
                         r.steady_rate() >= 0 ? events_per_s(r.steady_rate()) : "-",
                         pct(r.steady_rate(), ref ? ref->steady_rate() : 0),
                         r.peak_rss_mb >= 0 ? fixed(r.peak_rss_mb, 1) : "-",
                         r.cpu_s >= 0 ? fixed(r.cpu_s, 2) : "-",
                         r.cpu_s >= 0 && r.events > 0 ? fixed(1e6 * r.cpu_s / static_cast<double>(r.events), 2) : "-",
                         r.broker_cpu_s >= 0 ? fixed(r.broker_cpu_s, 2) : "-",
                         r.host_busy >= 0 ? fixed(100 * r.host_busy, 0) + "%" : "-",
                     })
                  << "\n";
    }
    bool any_note = false;
    for (const Result& r : results) {
        if (r.note.empty()) continue;
        if (!any_note) std::cout << "notes:\n";
        any_note = true;
        std::cout << "  " << r.scenario << round_suffix(r, rounds) << ": " << r.note << "\n";
    }
}

void print_side_by_side(const std::vector<Result>& results, int rounds) {
    bool header = false;
    for (const Result& r : results) {
        const auto colon = r.scenario.find(": ");
        if (colon == std::string::npos || !r.ok) continue;
        const Result* solo = same_round(results, r.scenario.substr(colon + 2), r);
        if (solo == nullptr) continue;
        if (!header) std::cout << "\nside by side vs alone (events/s, steady in brackets):\n";
        header = true;
        auto share = [](double a, double b) { return b > 0 && a >= 0 ? fixed(100.0 * a / b, 0) + "%" : "-"; };
        std::cout << "  " << r.scenario << round_suffix(r, rounds) << ": " << events_per_s(r.rate()) << " vs "
                  << events_per_s(solo->rate()) << " alone = " << share(r.rate(), solo->rate()) << " ("
                  << share(r.steady_rate(), solo->steady_rate()) << ")\n";
    }
}

void print_projections(const std::vector<Result>& results, int rounds) {
    bool header = false;
    for (const Result& r : results) {
        const std::string reference = projection_reference(r.scenario);
        if (reference.empty() || !r.ok) continue;
        const Result* native = same_round(results, reference, r);
        if (native == nullptr) continue;
        if (!header) std::cout << "\nprojections vs the C++ sql_read_model on the same backend (events/s):\n";
        header = true;
        const std::string round = round_suffix(r, rounds);
        std::cout << "  " << pad(r.scenario + round, 26, false) << events_per_s(r.rate()) << " vs " << reference
                  << round << " " << events_per_s(native->rate()) << " = "
                  << fixed(native->rate() > 0 ? 100.0 * r.rate() / native->rate() : 0, 0) << "%\n";
    }
}

void print_legend(int late_ms) {
    std::cout << "\ncolumns: elapsed = process start -> last event consumed (kcat, poll) or committed (fanoutd); "
                 "events/s = events / elapsed;\n  startup = process start -> first progress seen (first line "
                 "out of kcat/poll; first committed offset > 0 for fanoutd);\n  steady ev/s = events after the "
                 "first progress / (elapsed - startup); vs kcat = against kcat in the same round;\n  peak RSS = "
                 "VmHWM of the live fanoutd just before SIGTERM (ru_maxrss for kcat/poll); CPU = the consumer "
                 "process' user+sys;\n  broker CPU = the broker JVM's CPU during the scenario (--broker-pid); "
                 "host busy = all cores, everything on the host.\n"
                 "  fanoutd's end is seen up to auto.commit.interval.ms + poll-ms late (here <= "
              << late_ms << " ms); its startup too, so steady ev/s largely cancels it.\n";
    std::cout << "targets (context, not a verdict): fanoutd no-op >= 90% of kcat's raw consume rate; fanoutd peak "
                 "RSS <= 64 MB\n";
}

void write_csv(const std::filesystem::path& file, const std::vector<Result>& results, const BenchSettings& s) {
    const bool fresh = !std::filesystem::exists(file);
    std::ofstream out(file, std::ios::app);
    if (fresh) {
        out << "run_id,scenario,round,ok,events,elapsed_s,events_per_s,startup_s,steady_events_per_s,peak_rss_mb,cpu_s,"
               "broker_cpu_s,host_busy,max_events,linger_ms,consumer_properties,note\n";
    }
    for (const Result& r : results) {
        out << s.run_id << ',' << r.scenario << ',' << r.round << ',' << (r.ok ? 1 : 0) << ',' << r.events << ','
            << r.elapsed << ',' << r.rate() << ',' << r.startup << ',' << r.steady_rate() << ',' << r.peak_rss_mb << ','
            << r.cpu_s << ',' << r.broker_cpu_s << ',' << r.host_busy << ',' << s.max_events << ',' << s.linger_ms
            << ",\"" << describe_properties(s.consumer_props) << "\",\"" << r.note << "\"\n";
    }
}

}  // namespace fanout::bench
