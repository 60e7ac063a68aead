// post_command_store_bench: the event store's append alone (no HTTP, no
// Kafka): events/s and CPU per event for groups of 1, 2, 4, 16 single-event
// commands per transaction, on a SQLite file (and PostgreSQL with --pg).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <soci/postgresql/soci-postgresql.h>

#include "bench_figures.hpp"
#include "event_store.hpp"

using namespace fanout::post_command;

namespace {

void run(const std::string& name, const StoreLocation& location, int group, int events) {
    {
        soci::session s;
        open_store_session(s, location);
        migrate_store(s, location.backend);
    }
    EventWriter writer(location, {});
    std::vector<std::int64_t> versions(1000, 0);
    std::vector<AppendRequest> requests(static_cast<std::size_t>(group));
    std::vector<const AppendRequest*> batch;
    const auto start = std::chrono::steady_clock::now();
    const double cpu = fanout::bench::process_cpu_seconds();
    for (int i = 0; i < events; i += group) {
        batch.clear();
        for (int j = 0; j < group; ++j) {
            const auto post = static_cast<std::size_t>((i + j) % 1000);
            auto& r = requests[static_cast<std::size_t>(j)];
            r.aggregate_id = name + "-post-" + std::to_string(post);
            r.expected_version = versions[post]++;
            r.events = {
                NewEvent{name + "-e" + std::to_string(i + j), "PostLikedEvent", "{}", "2026-11-22T10:00:00.000Z"}};
            batch.push_back(&r);
        }
        writer.append(batch);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("| %s | %d | %d | %.0f | %.1f |\n", name.c_str(), group, events, events / seconds,
                1e6 * (fanout::bench::process_cpu_seconds() - cpu) / events);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string pg = argc > 2 && std::string(argv[1]) == "--pg" ? argv[2] : "";
    const auto dir =
        std::filesystem::temp_directory_path() / ("post-command-store-bench-" + std::to_string(::getpid()));
    std::printf("| store | commands per transaction | events | events/s | CPU us/event |\n|---|---:|---:|---:|---:|\n");
    for (const int group : {1, 2, 4, 16}) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        run("sqlite", StoreLocation{Backend::sqlite, (dir / "events.db").string()}, group, 20000);
    }
    std::filesystem::remove_all(dir);
    if (!pg.empty()) {
        const std::string db = "pc_store_bench_" + std::to_string(::getpid());
        soci::session admin(soci::postgresql, pg);
        admin << "CREATE DATABASE " + db;
        for (const int group : {1, 4, 16}) {
            run("postgresql-" + std::to_string(group), StoreLocation{Backend::postgresql, pg + " dbname=" + db}, group,
                2000);
        }
        admin << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
    }
    return 0;
}
