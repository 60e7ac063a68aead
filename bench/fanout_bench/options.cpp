#include "options.hpp"

#include <cstdlib>
#include <stdexcept>

#include <CLI/CLI.hpp>

namespace fanout::bench {

std::optional<int> parse_options(int argc, char** argv, const std::filesystem::path& exe, Options& o) {
    const std::filesystem::path bin_dir = exe.parent_path();
    CLI::App app{
        "fanout_bench: loads N realistic post events into a fresh topic, then measures kcat and fanoutd "
        "scenarios over it side by side. Prints figures, never pass/fail."};
    o.brokers = std::getenv("FANOUT_BENCH_BROKERS") ? std::getenv("FANOUT_BENCH_BROKERS") : "127.0.0.1:19092";
    o.fanoutd = (bin_dir / "fanoutd").string();
    o.lib_dir = (bin_dir.parent_path() / "lib").string();

    app.add_option("-b,--brokers", o.brokers, "bootstrap servers (env FANOUT_BENCH_BROKERS)")
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("-n,--events", o.n_events, "events to load")->capture_default_str();
    app.add_option("-p,--partitions", o.partitions, "partitions of the fresh topic")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--posts", o.posts, "live posts the events are spread over (keys); 0: events/50, at least 100")
        ->capture_default_str();
    app.add_option("--seed", o.seed, "generator seed")->capture_default_str();
    app.add_option("-t,--topic", o.topic, "topic name (default: a fresh fanout-bench-<time>-<pid>)");
    app.add_flag("--no-load", o.no_load, "use --topic as it is (already loaded); N = its end offsets");
    app.add_flag("--keep-topic", o.keep_topic, "do not delete the topic at the end");
    app.add_flag("--delete-topic", o.delete_topic_anyway, "delete the topic at the end even with --no-load");
    app.add_option("-s,--scenarios", o.scenario_list, "comma-separated scenarios to run, in order")
        ->capture_default_str();
    app.add_option("--scenario", o.extra_scenarios,
                   "add a fanoutd scenario NAME=FILE; FILE is the plugin entry (type, path, options, ...; no name, "
                   "topics or batch) with ${LIB_DIR} ${SOURCE_DIR} ${WORK_DIR} ${TOPIC} replaced. Also list NAME in "
                   "--scenarios");
    app.add_flag("--list-scenarios", o.list, "print the known scenarios and exit");
    app.add_option("--max-events", o.max_events, "fanoutd batch.max_events")->capture_default_str();
    app.add_option("--linger-ms", o.linger_ms, "fanoutd batch.linger_ms")->capture_default_str();
    app.add_option("-X,--kafka-property", o.kafka_props,
                   "extra librdkafka consumer property K=V for every scenario (kcat -X, poll, fanoutd "
                   "kafka.properties); repeatable");
    app.add_option("--producer-property", o.producer_props,
                   "librdkafka producer property K=V for the load; repeatable");
    app.add_option("--commit-interval-ms", o.commit_ms, "auto.commit.interval.ms given to fanoutd")
        ->capture_default_str();
    app.add_option("--poll-ms", o.poll_ms, "how often committed offsets are read")->capture_default_str();
    app.add_option("-r,--repeat", o.repeat, "run the scenario list this many times (rounds)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--timeout", o.timeout_s, "per scenario, seconds")->capture_default_str();
    app.add_option("--fanoutd", o.fanoutd, "fanoutd binary")->capture_default_str();
    app.add_option("--variant", o.variant_specs,
                   "A/B: NAME=FANOUTD_BINARY also runs every fanoutd scenario S as S@NAME with that binary, in the "
                   "same rounds (interleaved); repeatable");
    app.add_option("--lib-dir", o.lib_dir, "plugin libraries")->capture_default_str();
    app.add_option("--kcat", o.kcat, "kcat binary")->capture_default_str();
    app.add_option("--work-dir", o.work_dir, "generated configs and logs (default: a fresh /tmp/fanout-bench-*)");
    app.add_option("--broker-pid", o.broker_pid, "broker pid, to report its CPU per scenario")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--csv", o.csv, "also append the rows to this CSV file");
    app.add_option("--pg", o.pg,
                   "PostgreSQL conninfo for the *_pg scenarios (e.g. \"$(tools/postgres-dev.sh conn)\"); each run gets "
                   "a fresh schema, dropped at the end");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return std::nullopt;
}

std::pair<std::string, std::string> split_property(const std::string& kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error("expected KEY=VALUE, got '" + kv + "'");
    return {kv.substr(0, eq), kv.substr(eq + 1)};
}

std::string describe_properties(const Properties& props) {
    if (props.empty()) return "(none)";
    std::string out;
    for (const auto& [k, v] : props) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out;
}

}  // namespace fanout::bench
