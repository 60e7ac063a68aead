// sql_read_model_handle_bench: the read model plugin alone, without Kafka or
// fanoutd. N generated events (the tests' EventGenerator) go in batches
// straight into the plugin's handle(), on a fresh SQLite file each run, the
// way a pipeline calls it (on_assigned first, one call per batch).
//
// What sql_read_model_bench measures end to end mixes the broker, librdkafka
// and the host's other load into the figure; this isolates the plugin and
// its database, for comparing two builds of the plugin (--lib-b): runs
// alternate between them. Envelopes are parsed before the clock starts
// (fanoutd parses them ahead, on another thread). Prints figures only.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <soci/soci.h>
#include <yaml-cpp/yaml.h>
#include <CLI/CLI.hpp>

#include "bench_figures.hpp"
#include "fanout/testing/batch_driver.hpp"
#include "events.hpp"
#include "fake_event.hpp"
#include "model.hpp"
#include "option_values.hpp"
#include "plugin_library.hpp"
#include "report_format.hpp"
#include "schema.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using fanout::bench::fixed;
using fanout::bench::process_cpu_seconds;
using fanout::bench::pad;

namespace {

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Bytes this process has passed to write() and pwrite() (the WAL, the
/// checkpoints): the same for the same work, unlike the times.
double written_mb() {
    std::ifstream io("/proc/self/io");
    std::string key;
    std::uint64_t value = 0;
    while (io >> key >> value) {
        if (key == "wchar:") return static_cast<double>(value) / 1e6;
    }
    return -1;
}

/// Counters and gauges that count; log lines go to stderr from warning up.
class BenchContext final : public fanout::Context, private fanout::Logger {
public:
    std::string_view plugin_name() const override { return "read-model"; }
    std::string_view consumer_group() const override { return "bench.read-model"; }
    fanout::Logger& logger() override { return *this; }
    fanout::Counter& counter(std::string_view name) override { return counters_[std::string(name)]; }
    fanout::Gauge& gauge(std::string_view name) override { return gauges_[std::string(name)]; }

private:
    struct Count final : fanout::Counter {
        void add(std::uint64_t n) override { value_ += n; }
        std::uint64_t value() const override { return value_; }
        std::uint64_t value_ = 0;
    };
    struct Level final : fanout::Gauge {
        void set(double v) override { value_ = v; }
        double value() const override { return value_; }
        double value_ = 0;
    };
    void log(fanout::LogLevel level, std::string_view message) override {
        if (level >= fanout::LogLevel::warning) std::cerr << "plugin: " << message << "\n";
    }
    bool enabled(fanout::LogLevel level) const override { return level >= fanout::LogLevel::warning; }
    std::map<std::string, Count> counters_;
    std::map<std::string, Level> gauges_;
};

struct Run {
    std::string label;
    double wall = 0, thread_cpu = 0, process_cpu = 0;
    double written = 0, db_mb = 0;  ///< MB written during the run; the file's size at the end
    bool equal = false;
    std::uint64_t rejected = 0;
};

Run run_once(const std::string& label, const fs::path& library, const fs::path& file,
             const std::vector<fanout::test::FakeEvent>& events, std::size_t batch, int partitions,
             const fanout::test::Model& expected) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
    Run r;
    r.label = label;
    auto lib = fanout::daemon::PluginLibrary::load(library);
    BenchContext context;
    const auto options = fanout::daemon::OptionValues::validate(
        lib->descriptor().option_specs(), YAML::Load("connection: \"sqlite:" + file.string() + "\""), "bench.yaml",
        "plugin 'read-model'");
    std::unique_ptr<fanout::Plugin> plugin = lib->descriptor().create(options, context);
    std::vector<fanout::TopicPartition> tps;
    for (int p = 0; p < partitions; ++p) tps.push_back({"posts", p});
    plugin->checkpointing()->on_assigned(tps);

    std::vector<const fanout::Event*> ptrs;
    std::vector<fanout::Outcome> outcomes;
    const double t0 = thread_cpu_seconds(), p0 = process_cpu_seconds(), io0 = written_mb();
    const auto w0 = Clock::now();
    for (std::size_t at = 0; at < events.size(); at += batch) {
        const std::size_t n = std::min(batch, events.size() - at);
        ptrs.clear();
        for (std::size_t i = at; i < at + n; ++i) ptrs.push_back(&events[i]);
        outcomes.assign(n, fanout::Outcome::done());
        // As fanoutd under load: more events wait until the last batch.
        fanout::testing::handle_then_settle(*plugin, ptrs, outcomes, at + n == events.size());
        for (const auto& o : outcomes) r.rejected += o.is_done() ? 0 : 1;
    }
    r.wall = std::chrono::duration<double>(Clock::now() - w0).count();
    r.thread_cpu = thread_cpu_seconds() - t0;
    plugin.reset();  // stops its threads, closes the database
    r.process_cpu = process_cpu_seconds() - p0;
    r.written = written_mb() - io0;
    r.db_mb = static_cast<double>(fs::file_size(file)) / 1e6;
    soci::session session;
    fanout::read_model::open_session(session, "sqlite:" + file.string());
    r.equal = fanout::test::read_model(session) == expected;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 1'000'000, posts = 2000, batch = 10'000;
    int partitions = 4, repeat = 3;
    fs::path lib_a = fs::path(FANOUT_LIB_DIR) / "libfanout_sql_read_model.so", lib_b;
    fs::path work_dir = fs::temp_directory_path();
    bool keep = false;
    CLI::App app{"sql_read_model_handle_bench: the read model plugin's handle() on SQLite, without Kafka"};
    app.add_option("-n,--events", count, "events")->capture_default_str();
    app.add_option("--posts", posts, "distinct posts")->capture_default_str();
    app.add_option("--batch", batch, "events per handle() call")->capture_default_str()->check(CLI::Range(1, 100000));
    app.add_option("-p,--partitions", partitions, "partitions the events are spread over")->capture_default_str();
    app.add_option("--repeat", repeat, "runs per library")->capture_default_str()->check(CLI::Range(1, 100));
    app.add_option("--lib", lib_a, "the plugin library")->capture_default_str();
    app.add_option("--lib-b", lib_b, "a second build of it, run alternately with the first");
    app.add_option("--work-dir", work_dir, "where the SQLite file goes")->capture_default_str();
    app.add_flag("--keep", keep, "keep the database of the last run (its path is printed)");
    CLI11_PARSE(app, argc, argv);

    try {
        std::cout << "generating " << count << " events over " << posts << " posts..." << std::flush;
        fanout::test::EventGenerator generator(posts, 42);
        fanout::test::ReferenceModel reference;
        // One pool for every parsed envelope: compact, like fanoutd's batch arena.
        rapidjson::Document::AllocatorType pool(64u << 20);
        std::vector<fanout::test::FakeEvent> events;
        events.reserve(count);
        std::vector<std::int64_t> next_offset(static_cast<std::size_t>(partitions), 0);
        for (std::size_t i = 0; i < count; ++i) {
            const auto e = generator.next();
            reference.apply(e.value);
            // Like Kafka's default partitioner: a post's events stay in order on one partition.
            const auto p =
                static_cast<std::int32_t>(std::hash<std::string>{}(e.key) % static_cast<std::size_t>(partitions));
            events.emplace_back("posts", p, next_offset[static_cast<std::size_t>(p)]++, e.value, e.key, pool);
        }
        const fanout::test::Model expected = reference.model();
        std::cout << " done\n";
        const fs::path file = work_dir / ("handle-bench-" + std::to_string(::getpid()) + ".db");
        std::vector<Run> runs;
        for (int k = 0; k < repeat; ++k) {
            runs.push_back(run_once("a", lib_a, file, events, batch, partitions, expected));
            if (!lib_b.empty()) runs.push_back(run_once("b", lib_b, file, events, batch, partitions, expected));
        }
        if (keep) {
            std::cout << "kept the last run's database: " << file.string() << "\n";
        } else {
            for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
        }

        std::cout << "\n"
                  << count << " events, " << posts << " posts, " << partitions << " partitions, batch " << batch
                  << "\na: " << lib_a.string() << (lib_b.empty() ? "" : "\nb: " + lib_b.string()) << "\n\n"
                  << pad("run", 6) << pad("events/s", 11) << pad("wall s", 9) << pad("thread cpu s", 14)
                  << pad("process cpu s", 15) << pad("written MB", 12) << pad("db MB", 8) << pad("rejected", 10)
                  << pad("model", 11) << "\n";
        for (const Run& r : runs) {
            std::cout << pad(r.label, 6) << pad(fixed(static_cast<double>(count) / r.wall, 0), 11)
                      << pad(fixed(r.wall, 2), 9) << pad(fixed(r.thread_cpu, 2), 14) << pad(fixed(r.process_cpu, 2), 15)
                      << pad(fixed(r.written, 0), 12) << pad(fixed(r.db_mb, 1), 8)
                      << pad(std::to_string(r.rejected), 10) << pad(r.equal ? "equal" : "DIFFERENT", 11) << "\n";
        }
        for (const char* label : {"a", "b"}) {
            std::vector<double> wall, cpu;
            for (const Run& r : runs) {
                if (r.label != label) continue;
                wall.push_back(r.wall);
                cpu.push_back(r.thread_cpu);
            }
            if (wall.empty()) continue;
            std::sort(wall.begin(), wall.end());
            std::sort(cpu.begin(), cpu.end());
            std::cout << pad(std::string(label) + " med", 6)
                      << pad(fixed(static_cast<double>(count) / wall[wall.size() / 2], 0), 11)
                      << pad(fixed(wall[wall.size() / 2], 2), 9) << pad(fixed(cpu[cpu.size() / 2], 2), 14) << "\n";
        }
        std::cout << "\nevents/s = events / wall time of the handle() calls; thread cpu = the calling thread's;\n"
                     "process cpu includes the plugin's own threads; written MB = bytes written (WAL and checkpoints,\n"
                     "/proc/self/io wchar) during the run, db MB = the database file at the end. Envelopes are parsed "
                     "before the clock starts.\n";
        return std::all_of(runs.begin(), runs.end(), [](const Run& r) { return r.equal; }) ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "sql_read_model_handle_bench: " << e.what() << "\n";
        return 1;
    }
}
