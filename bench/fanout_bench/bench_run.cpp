#include "bench_run.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "committed_offsets.hpp"
#include "event_load.hpp"
#include "fanout/harness/kafka_admin.hpp"
#include "kafka_topic.hpp"
#include "postgres_schemas.hpp"
#include "report.hpp"
#include "report_format.hpp"
#include "runs.hpp"
#include "webhook_sink.hpp"

namespace fanout::bench {
namespace {

namespace fs = std::filesystem;

/// Throws, naming tools/kafka-dev.sh, when `rk`'s broker does not answer.
void require_broker(rd_kafka_t* rk, const std::string& brokers) {
    const rd_kafka_metadata_t* md = nullptr;
    const auto e = rd_kafka_metadata(rk, 0, nullptr, &md, 10'000);
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("broker " + brokers + " does not answer metadata requests (" + rd_kafka_err2str(e) +
                                 "); start one with tools/kafka-dev.sh start");
    }
}

/// Runs every chosen scenario once per round; `groups` collects the consumer
/// groups the runs used.
std::vector<Result> run_rounds(const BenchSettings& s, const std::vector<Scenario>& chosen, int repeat,
                               std::vector<std::string>& groups) {
    std::vector<Result> results;
    for (int round = 1; round <= repeat; ++round) {
        for (const Scenario& sc : chosen) {
            const std::string prefix = "bench-" + s.run_id + "-" + sc.slug() + "-" + std::to_string(round);
            const fs::path log = s.env.work_dir / (prefix + ".log");
            std::cerr << "round " << round << "/" << repeat << ": " << sc.name << " ..." << std::flush;
            std::vector<Result> rs;
            switch (sc.runner) {
                case Runner::kcat: rs.push_back(run_kcat(s, sc, log)); break;
                case Runner::poll:
                    rs.push_back(run_poll(s, sc, prefix, log));
                    groups.push_back(prefix);
                    break;
                case Runner::fanoutd:
                    rs = run_fanoutd(s, sc, prefix, log);
                    for (const auto& m : sc.plugins()) groups.push_back(prefix + "." + m.plugin());
                    break;
            }
            for (std::size_t i = 0; i < rs.size(); ++i) {
                Result& r = rs[i];
                r.round = round;
                std::cerr << (i ? "\n    " + r.scenario + ":" : "") << " " << fixed(r.elapsed, 2) << " s, "
                          << with_commas(static_cast<std::uint64_t>(r.rate())) << " events/s"
                          << (r.ok ? "" : " (" + r.note + ")");
                results.push_back(r);
            }
            std::cerr << "\n";
        }
    }
    return results;
}

}  // namespace

int run_bench(Options o, const fs::path& exe) {
    std::vector<Scenario> known;
    try {
        known = known_scenarios(o.extra_scenarios);
    } catch (const std::exception& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        return 2;
    }
    if (o.list) {
        for (const auto& sc : known) std::cout << pad(sc.name, 10, false) << "  " << sc.description << "\n";
        std::cout
            << "A+B+...    side by side: the fanoutd scenarios A, B, ... as plugins of one fanoutd, one row each\n";
        return 0;
    }
    std::vector<Variant> variants;
    for (const auto& spec : o.variant_specs) {
        const auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "fanout_bench: --variant expects NAME=FANOUTD_BINARY, got '" << spec << "'\n";
            return 2;
        }
        variants.emplace_back(spec.substr(0, eq), fs::absolute(spec.substr(eq + 1)).string());
    }
    std::vector<Scenario> chosen;
    try {
        chosen = choose_scenarios(o.scenario_list, known, variants);
    } catch (const std::invalid_argument& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        return 2;
    }
    if (chosen.empty()) {
        std::cerr << "fanout_bench: no scenario to run\n";
        return 2;
    }
    if (o.posts == 0) o.posts = std::max<std::size_t>(100, static_cast<std::size_t>(o.n_events / 50));
    if (o.no_load && o.topic.empty()) {
        std::cerr << "fanout_bench: --no-load needs --topic\n";
        return 2;
    }

    BenchSettings s;
    s.brokers = o.brokers;
    s.max_events = o.max_events;
    s.linger_ms = o.linger_ms;
    s.commit_interval_ms = o.commit_ms;
    s.poll_ms = o.poll_ms;
    s.timeout_s = o.timeout_s;
    s.fanoutd = o.fanoutd;
    s.self_exe = exe;
    s.kcat = o.kcat;
    s.broker_pid = o.broker_pid;
    s.run_id = std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid());
    try {
        for (const auto& kv : o.kafka_props) {
            const auto [k, v] = split_property(kv);
            put_property(s.consumer_props, k, v);
        }
        Properties pprops;
        for (const auto& kv : o.producer_props) {
            const auto [k, v] = split_property(kv);
            put_property(pprops, k, v);
        }
        if (o.work_dir.empty()) {
            char tmpl[] = "/tmp/fanout-bench-XXXXXX";
            if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
            o.work_dir = tmpl;
        }
        fs::create_directories(o.work_dir);
        s.env = {fs::absolute(o.lib_dir), fs::path(FANOUT_SOURCE_DIR), fs::absolute(o.work_dir), {}, {}, {}};
        WebhookSink webhooks;
        s.env.webhook_url = webhooks.url();
        PostgresSchemas schemas(o.pg, s.run_id);
        s.env.postgres = [&schemas](const std::string& name) { return schemas.fresh(name); };
        for (const Scenario& sc : chosen) {
            const fs::path binary = sc.fanoutd.empty() ? s.fanoutd : sc.fanoutd;
            if (sc.runner == Runner::fanoutd && !fs::exists(binary)) {
                throw std::runtime_error("no fanoutd at " + binary.string() + " (--fanoutd / --variant)");
            }
        }

        signal(SIGPIPE, SIG_IGN);
        // Admin and metadata client; never creates a topic by asking about it.
        RdKafka admin =
            make_client(RD_KAFKA_PRODUCER, o.brokers, {{"log_level", "3"}, {"allow.auto.create.topics", "false"}});
        require_broker(admin.get(), o.brokers);

        s.topic = o.topic.empty() ? "fanout-bench-" + s.run_id : o.topic;
        s.env.topic = s.topic;
        std::optional<LoadResult> load;
        if (!o.no_load) {
            std::cerr << "loading " << with_commas(o.n_events) << " events into " << s.topic << " (" << o.partitions
                      << " partitions) ...\n";
            create_topic(admin.get(), s.topic, o.partitions);
            load = load_events(o.brokers, s.topic, o.n_events, o.posts, o.seed, pprops);
        }
        s.partitions = harness::topic_partitions(admin.get(), s.topic);
        if (s.partitions <= 0) throw std::runtime_error("topic " + s.topic + " not found");
        s.end_offsets = end_offsets(admin.get(), s.topic, s.partitions);
        s.events = static_cast<std::uint64_t>(sum_of(s.end_offsets));

        print_context(o, s, load, pprops, variants, chosen);
        std::vector<std::string> groups;
        const std::vector<Result> results = run_rounds(s, chosen, o.repeat, groups);
        print_table(results, o.repeat);
        print_side_by_side(results, o.repeat);
        print_projections(results, o.repeat);
        if (webhooks.received() > 0)
            std::cout << "webhook receiver: " << with_commas(webhooks.received()) << " POSTs\n";
        print_legend(o.commit_ms + o.poll_ms);
        if (!o.csv.empty()) write_csv(o.csv, results, s);

        harness::delete_groups(admin.get(), groups);
        if ((!o.no_load && !o.keep_topic) || o.delete_topic_anyway) {
            delete_topics(admin.get(), {s.topic});
        } else {
            std::cout << "topic kept: " << s.topic << " (rerun with --topic " << s.topic << " --no-load)\n";
        }
        bool all_ok = true;
        for (const auto& r : results) all_ok = all_ok && r.ok;
        return all_ok ? 0 : 1;  // 1 only when a scenario could not finish, never a performance verdict
    } catch (const std::exception& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace fanout::bench
