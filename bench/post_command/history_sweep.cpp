// post_command_history_sweep: the audit-trail and as-of routes over a large
// store, on the real service. Writes a store of --events events (default
// 1,000,000) over --posts posts (a skewed mix: a few hot posts with many
// thousands of events, most with few; likes, comments, edits, comment edits
// and removals, removed posts; snapshots every 100 events as the service
// takes them), starts post-command on it, then over HTTP:
//   - every post: GET .../state (current), GET .../state?version=V for a
//     random V, GET .../events (first page) — each must be 200 and the state
//     must equal a replay of the post's first V events;
//   - --full-posts posts (the hottest first): .../state?version=V for every
//     V, .../state?at=T at each event's time, and every page of .../events;
//   - a version past the latest and an unknown post: 404.
// Prints the counts and latency percentiles per route and exits 1 on any
// mismatch or unexpected status.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <rapidjson/document.h>
#include <soci/postgresql/soci-postgresql.h>

#include "bench_figures.hpp"
#include "event_store.hpp"
#include "fanout/common/text.hpp"
#include "post_aggregate.hpp"
#include "post_history.hpp"
#include "service_process.hpp"
#include "snapshot_store.hpp"

using namespace fanout::post_command;
namespace fs = std::filesystem;

namespace {

struct Options {
    std::int64_t events = 1'000'000;
    int posts = 10'000;
    int full_posts = 5;
    std::string pg;
    std::string brokers;
    std::string binary = std::string(FANOUT_BIN_DIR) + "/post-command";
    unsigned seed = 7;
};

/// One post's events as written, and the time of each.
struct PostEvents {
    std::string id;
    std::vector<DomainEvent> events;
    std::vector<std::int64_t> times_ms;
};

std::string post_id(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "5e000000-0000-4000-8000-%012d", i);
    return buf;
}

std::string comment_id(std::int64_t n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "c0000000-0000-4000-8000-%012lld", static_cast<long long>(n));
    return buf;
}

/// Decides the next event of a post the way commands would (valid by the
/// aggregate's rules); nothing when the post accepts no more (removed).
std::optional<DomainEvent> next_event(const PostAggregate& post, std::mt19937_64& rng, std::int64_t n,
                                      const std::string& now, bool may_remove) {
    static const char* const authors[] = {"Alice", "Bob", "Carol", "Dave"};
    const std::string author = authors[rng() % 4];
    if (post.version() == 0) return post.create(author, "post " + std::to_string(n), now).events.at(0);
    if (!post.active()) return std::nullopt;  // removed: commands are refused
    const unsigned roll = static_cast<unsigned>(rng() % 1000);
    Decision d;
    if (roll < 600) {
        d = post.like();
    } else if (roll < 800) {
        d = post.add_comment("comment " + std::to_string(n), author, comment_id(n), now);
    } else if (roll < 880) {
        d = post.edit_message("edited " + std::to_string(n), post.author());
    } else if (roll < 998 && !post.comments().empty()) {
        auto it = post.comments().begin();
        std::advance(it, static_cast<long>(rng() % post.comments().size()));
        d = roll < 950 ? post.edit_comment(it->first, "re-edited " + std::to_string(n), it->second.username, now)
                       : post.remove_comment(it->first, it->second.username);
    } else if (roll >= 998 && may_remove && post.version() > 20) {
        d = post.remove(post.author());
    } else {
        d = post.like();
    }
    if (!d.error && !d.events.empty()) return d.events.at(0);
    Decision like = post.like();
    if (like.error || like.events.empty()) return std::nullopt;
    return like.events.at(0);
}

/// Writes the store: events spread over the posts with a skew (post i is
/// picked with weight ~1/(i+1)), 100 single-event commands per transaction.
std::vector<PostEvents> write_store(const StoreLocation& location, const Options& o) {
    {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }
    EventWriter writer(location, {});
    std::mt19937_64 rng(o.seed);
    std::vector<PostEvents> posts(static_cast<std::size_t>(o.posts));
    std::vector<PostAggregate> state;
    for (int i = 0; i < o.posts; ++i) {
        posts[static_cast<std::size_t>(i)].id = post_id(i);
        state.emplace_back(post_id(i));
    }
    // Zipf-like: cumulative weights 1/(i+1).
    std::vector<double> cumulative(static_cast<std::size_t>(o.posts));
    double total = 0;
    for (int i = 0; i < o.posts; ++i) cumulative[static_cast<std::size_t>(i)] = total += 1.0 / (i + 1);
    const std::int64_t base_ms = fanout::common::now_utc_ms() - o.events - 60'000;
    std::int64_t written = 0;
    std::size_t next_unseeded = 0;  // every post gets at least its creation
    while (written < o.events) {
        std::vector<AppendRequest> requests;
        requests.reserve(100);
        std::vector<std::size_t> touched;
        while (requests.size() < 100 && written < o.events) {
            std::size_t p;
            if (next_unseeded < posts.size() && (rng() % 2 == 0 || o.events - written <= static_cast<std::int64_t>(
                                                                                               posts.size() - next_unseeded))) {
                p = next_unseeded++;
            } else {
                const double u = std::uniform_real_distribution<double>(0, total)(rng);
                p = static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), u) -
                                             cumulative.begin());
                if (state[p].version() == 0) continue;  // not created yet: its turn comes
            }
            if (std::find(touched.begin(), touched.end(), p) != touched.end()) continue;  // one command per post
            const std::int64_t at_ms = base_ms + written;
            const std::string now = fanout::common::format_utc_ms(at_ms);
            const auto event = next_event(state[p], rng, written, now, p >= 10);  // the 10 hottest stay
            if (!event) continue;
            AppendRequest& r = requests.emplace_back();
            r.aggregate_id = posts[p].id;
            r.expected_version = state[p].version();
            state[p].apply(*event);
            r.events = {NewEvent{posts[p].id + "-" + std::to_string(state[p].version()), type_name(*event),
                                 encode_data(*event), now}};
            if (snapshot_due(r.expected_version, state[p].version(), 100)) {
                r.snapshot = SnapshotRecord{state[p].version(), state[p].snapshot_json()};
            }
            posts[p].events.push_back(*event);
            posts[p].times_ms.push_back(at_ms);
            touched.push_back(p);
            ++written;
        }
        std::vector<const AppendRequest*> batch;
        for (const AppendRequest& r : requests) batch.push_back(&r);
        for (const AppendStatus s : writer.append(batch)) {
            if (s != AppendStatus::committed) throw std::runtime_error("history sweep: append failed");
        }
    }
    return posts;
}

/// The state JSON of `post`'s first `n` events.
std::string expected_state(const PostEvents& post, std::size_t n) {
    PostAggregate a(post.id);
    for (std::size_t i = 0; i < n; ++i) a.apply(post.events[i]);
    return post_state_json(a);
}

struct Route {
    std::vector<double> ms;
    std::int64_t requests = 0, failures = 0;
};

class Sweep {
public:
    explicit Sweep(int port) : client_("127.0.0.1", port) {
        client_.set_keep_alive(true);
        client_.set_read_timeout(60, 0);
    }

    /// GET `path`; a failure (and its first lines) when the status is not `status`.
    std::string get(const std::string& route, const std::string& path, int status) {
        const auto start = std::chrono::steady_clock::now();
        const auto res = client_.Get(path);
        Route& r = routes_[route];
        r.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        ++r.requests;
        if (!res || res->status != status) {
            fail(route, path + ": status " + (res ? std::to_string(res->status) : "none") + ", expected " +
                            std::to_string(status) + (res ? " " + res->body.substr(0, 300) : ""));
            return {};
        }
        return res->body;
    }

    void state(const PostEvents& post, std::size_t version, const std::string& route, const std::string& query) {
        state(post, expected_state(post, version), route, query);
    }

    void state(const PostEvents& post, const std::string& expected, const std::string& route, const std::string& query) {
        const std::string body = get(route, "/api/v1/posts/" + post.id + "/state" + query, 200);
        if (body.empty()) return;
        if (!same_json(body, expected)) fail(route, post.id + query + ": " + body + " != " + expected);
    }

    /// Every page of the post's events: versions 1..n in order.
    void all_events(const PostEvents& post) {
        std::int64_t next = 1;
        std::string path = "/api/v1/posts/" + post.id + "/events?limit=1000";
        for (;;) {
            const std::string body = get("events (every page)", path, 200);
            if (body.empty()) return;
            rapidjson::Document doc;
            doc.Parse(body.c_str());
            for (const auto& e : doc["events"].GetArray()) {
                if (e["version"].GetInt64() != next++) return fail("events (every page)", post.id + ": out of order");
            }
            if (!doc["next"].IsString()) break;
            path = doc["next"].GetString();
        }
        if (next - 1 != static_cast<std::int64_t>(post.events.size())) {
            fail("events (every page)", post.id + ": " + std::to_string(next - 1) + " events, expected " +
                                            std::to_string(post.events.size()));
        }
    }

    void first_page(const PostEvents& post) {
        const std::string body = get("events (first page)", "/api/v1/posts/" + post.id + "/events", 200);
        if (body.empty()) return;
        rapidjson::Document doc;
        doc.Parse(body.c_str());
        if (!doc.IsObject() || !doc["events"].IsArray() || doc["events"].Empty() ||
            doc["events"][0]["version"].GetInt64() != 1) {
            fail("events (first page)", post.id + ": " + body.substr(0, 300));
        }
    }

    bool report() const {
        std::printf("| route | requests | failures | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|\n");
        std::int64_t failures = 0;
        for (const auto& [name, r] : routes_) {
            std::printf("| %s | %lld | %lld | %.2f | %.2f | %.2f | %.2f |\n", name.c_str(),
                        static_cast<long long>(r.requests), static_cast<long long>(r.failures),
                        fanout::bench::percentile(r.ms, 0.5), fanout::bench::percentile(r.ms, 0.95),
                        fanout::bench::percentile(r.ms, 0.99), fanout::bench::percentile(r.ms, 1.0));
            failures += r.failures;
        }
        for (const std::string& f : first_failures_) std::printf("FAILED %s\n", f.c_str());
        return failures == 0;
    }

private:
    static bool same_json(const std::string& a, const std::string& b) {
        rapidjson::Document x, y;
        x.Parse(a.c_str());
        y.Parse(b.c_str());
        return !x.HasParseError() && x == y;
    }

    void fail(const std::string& route, const std::string& what) {
        ++routes_[route].failures;
        if (first_failures_.size() < 10) first_failures_.push_back(route + ": " + what);
    }

    httplib::Client client_;
    std::map<std::string, Route> routes_;
    std::vector<std::string> first_failures_;
};

bool run(const char* store_name, const StoreLocation& location, const std::string& store_arg, const Options& o,
         const fs::path& dir) {
    std::printf("\n## %s: writing %lld events over %d posts\n", store_name, static_cast<long long>(o.events), o.posts);
    const auto w0 = std::chrono::steady_clock::now();
    const std::vector<PostEvents> posts = write_store(location, o);
    std::size_t hottest = 0;
    for (const PostEvents& p : posts) hottest = std::max(hottest, p.events.size());
    std::printf("written in %.1f s; the hottest post has %zu events\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count(), hottest);

    const fs::path config = dir / (std::string(store_name) + ".yaml");
    std::ofstream(config) << "kafka: {topic: history-sweep-" << ::getpid() << "-" << store_name << "}\n";
    fanout::bench::ServiceProcess service("post-command",
                                          {o.binary, "--config", config.string(), "--listen", "127.0.0.1:0",
                                           "--event-store", store_arg, "--brokers", o.brokers, "--log-level", "info"},
                                          dir / (std::string(store_name) + "-post-command.log"));
    Sweep sweep(service.listening_port(std::chrono::seconds(60)));

    std::mt19937_64 rng(o.seed + 1);
    const auto s0 = std::chrono::steady_clock::now();
    for (const PostEvents& post : posts) {
        const std::size_t n = post.events.size();
        sweep.state(post, n, "state (current)", "");
        const std::size_t v = 1 + static_cast<std::size_t>(rng() % n);
        sweep.state(post, v, "state ?version (one per post)", "?version=" + std::to_string(v));
        sweep.first_page(post);
    }
    // The hottest posts in full: every version, every event's time, every page.
    std::vector<std::size_t> order(posts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return posts[a].events.size() > posts[b].events.size(); });
    for (int k = 0; k < o.full_posts && k < static_cast<int>(order.size()); ++k) {
        const PostEvents& post = posts[order[static_cast<std::size_t>(k)]];
        PostAggregate replayed(post.id);  // the first v events, one more each round
        for (std::size_t v = 1; v <= post.events.size(); ++v) {
            replayed.apply(post.events[v - 1]);
            sweep.state(post, post_state_json(replayed), "state ?version (every version)",
                        "?version=" + std::to_string(v));
        }
        for (std::size_t i = 0; i < post.events.size(); i += std::max<std::size_t>(1, post.events.size() / 200)) {
            // Several events share a millisecond only across posts: at the time of event i, i + 1 had occurred.
            sweep.state(post, i + 1, "state ?at", "?at=" + fanout::common::format_utc_ms(post.times_ms[i]));
        }
        sweep.all_events(post);
        sweep.get("404s", "/api/v1/posts/" + post.id + "/state?version=" + std::to_string(post.events.size() + 1), 404);
    }
    sweep.get("404s", "/api/v1/posts/" + post_id(o.posts + 1) + "/state", 404);
    std::printf("swept in %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
    return sweep.report();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == fanout::bench::k_busy_loop_argument) fanout::bench::busy_loop();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress as it goes, also into a file
    Options o;
    if (const char* b = std::getenv("FANOUT_TEST_BROKERS")) o.brokers = b;
    if (o.brokers.empty()) o.brokers = "127.0.0.1:19092";
    CLI::App app{"post_command_history_sweep: the history and as-of routes over every post of a large store"};
    app.add_option("--events", o.events, "events in the store");
    app.add_option("--posts", o.posts, "posts (each gets at least its creation)");
    app.add_option("--full-posts", o.full_posts, "hottest posts read at every version, time and page");
    app.add_option("--pg", o.pg, "libpq conninfo of a PostgreSQL server: also sweep a PostgreSQL store");
    app.add_option("--brokers", o.brokers, "Kafka bootstrap (default FANOUT_TEST_BROKERS or 127.0.0.1:19092)");
    app.add_option("--binary", o.binary, "post-command binary");
    app.add_option("--seed", o.seed, "random seed");
    CLI11_PARSE(app, argc, argv);
    if (o.posts < 1 || o.events < o.posts) {
        std::fprintf(stderr, "history sweep: --events must be at least --posts (>= 1)\n");
        return 2;
    }
    const fs::path dir = fs::temp_directory_path() / ("post-command-history-sweep-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    bool ok = run("sqlite", StoreLocation{Backend::sqlite, (dir / "events.db").string()},
                  "sqlite:" + (dir / "events.db").string(), o, dir);
    if (!o.pg.empty()) {
        const std::string db = "pc_history_sweep_" + std::to_string(::getpid());
        soci::session admin(soci::postgresql, o.pg);
        admin << "CREATE DATABASE " + db;
        ok = run("postgresql", StoreLocation{Backend::postgresql, o.pg + " dbname=" + db}, o.pg + " dbname=" + db, o,
                 dir) &&
             ok;
        admin << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
    }
    fs::remove_all(dir);
    std::printf("\n%s\n", ok ? "every answer was right" : "FAILED: see above");
    return ok ? 0 : 1;
}
