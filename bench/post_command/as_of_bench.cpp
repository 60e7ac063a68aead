// post_command_as_of_bench: reading a post of 10,000 events (likes, with a
// comment every tenth event) as the history routes do — the state as of
// version 10, 5,000 and 9,999 — against the current state (what a command
// load reads: the latest snapshot plus the events after it), with snapshots
// every 100 events and with snapshots off. No HTTP: EventReader and the
// rebuild only (post_history.hpp), on a SQLite file (and PostgreSQL with
// --pg "<libpq connection string>"). Prints a table of median and p95 times.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <soci/postgresql/soci-postgresql.h>

#include "bench_figures.hpp"
#include "event_store.hpp"
#include "post_history.hpp"
#include "utc_clock.hpp"

using namespace fanout::post_command;

namespace {

constexpr std::int64_t k_events = 10'000;
const std::string k_post = "11111111-2222-4333-8444-555555555555";

/// The post's 10,000 events, appended 100 per transaction as commands would
/// (one request per event), a snapshot whenever a version crosses `interval`.
void write_post(const StoreLocation& location, std::int64_t interval) {
    {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }
    EventWriter writer(location, {});
    PostAggregate post(k_post);
    const std::string now = now_rfc3339_ms();
    for (std::int64_t start = 0; start < k_events; start += 100) {
        std::vector<AppendRequest> requests(100);
        std::vector<const AppendRequest*> batch;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            const std::int64_t n = start + static_cast<std::int64_t>(i) + 1;
            const DomainEvent event =
                n == 1 ? DomainEvent(PostCreated{"Alice", "a long-lived post", now})
                : n % 10 == 0
                    ? DomainEvent(CommentAdded{"c0000000-0000-4000-8000-" + std::to_string(100000000000 + n),
                                               "comment " + std::to_string(n), "Bob", now})
                    : DomainEvent(PostLiked{});
            AppendRequest& r = requests[i];
            r.aggregate_id = k_post;
            r.expected_version = post.version();
            post.apply(event);
            r.events = {NewEvent{k_post + "-" + std::to_string(n), type_name(event), encode_data(event), now}};
            if (snapshot_due(r.expected_version, post.version(), interval)) {
                r.snapshot = SnapshotRecord{post.version(), post.snapshot_json()};
            }
            batch.push_back(&r);
        }
        for (const AppendStatus s : writer.append(batch)) {
            if (s != AppendStatus::committed) throw std::runtime_error("bench: append failed");
        }
    }
}

/// Median and p95 milliseconds of `read`, run at least 20 times and 0.5 s.
void measure(const char* store, const char* snapshots, const char* what, const std::function<void()>& read) {
    std::vector<double> ms;
    const auto begin = std::chrono::steady_clock::now();
    read();  // warm the connection and the page cache
    while (ms.size() < 20 || std::chrono::steady_clock::now() - begin < std::chrono::milliseconds(500)) {
        const auto start = std::chrono::steady_clock::now();
        read();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("| %s | %s | %s | %.3f | %.3f | %zu |\n", store, snapshots, what, fanout::bench::percentile(ms, 0.5),
                fanout::bench::percentile(ms, 0.95), ms.size());
}

void run(const char* store, const StoreLocation& location, std::int64_t interval) {
    write_post(location, interval);
    EventReader reader(location, {});
    const char* snapshots = interval > 0 ? "every 100" : "off";
    measure(store, snapshots, "current state (command load)",
            [&] { (void)replay(k_post, reader.load(k_post)).version(); });
    measure(store, snapshots, "current state (GET .../state)",
            [&] { (void)post_state_json(*read_post_as_of(reader, k_post, AsOf{}).post); });
    for (const std::int64_t v : {10, 5'000, 9'999}) {
        const std::string what = "as of version " + std::to_string(v);
        measure(store, snapshots, what.c_str(), [&] {
            (void)post_state_json(*read_post_as_of(reader, k_post, AsOf{AsOf::Kind::version, v, {}}).post);
        });
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string pg = argc > 2 && std::string(argv[1]) == "--pg" ? argv[2] : "";
    const auto dir = std::filesystem::temp_directory_path() / ("post-command-as-of-bench-" + std::to_string(::getpid()));
    std::printf("| store | snapshots | read | median ms | p95 ms | reads |\n|---|---|---|---:|---:|---:|\n");
    for (const std::int64_t interval : {100, 0}) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        run("sqlite", StoreLocation{Backend::sqlite, (dir / "events.db").string()}, interval);
    }
    std::filesystem::remove_all(dir);
    if (!pg.empty()) {
        for (const std::int64_t interval : {100, 0}) {
            const std::string db = "pc_as_of_bench_" + std::to_string(::getpid());
            soci::session admin(soci::postgresql, pg);
            admin << "CREATE DATABASE " + db;
            run("postgresql", StoreLocation{Backend::postgresql, pg + " dbname=" + db}, interval);
            admin << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
        }
    }
    return 0;
}
