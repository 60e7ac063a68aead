// Reloads at random moments under load: a plugin whose entry changes is
// closed and replaced right after it started, while it joins its group, in
// the middle of a rebalance with another fanoutd sharing the group, or once
// it consumes. None of these may abort the daemon or lose an event.
#include <signal.h>

#include <atomic>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

using Reload = TopicTest;
using Clock = std::chrono::steady_clock;

namespace {

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

std::string tail(const std::string& text, std::size_t bytes = 6000) {
    return text.size() <= bytes ? text : "…" + text.substr(text.size() - bytes);
}

}  // namespace

TEST_F(Reload, RestartingAPluginAtRandomMomentsUnderLoadNeverAbortsTheDaemon) {
    constexpr int k_partitions = 6;
    admin.create_topic(topic, k_partitions);

    // Two processes share both groups, as two hosts of one deployment do: a
    // restart in one rebalances the other, so closes also land mid-rebalance.
    // Only `churn`'s entry changes (its batch size), so only it restarts.
    auto write_config = [&](const std::string& who, int churn_batch) {
        const auto record = [&](const std::string& plugin) {
            return "      record_path: " + (dir / (plugin + "-" + who + ".txt")).string() + "\n";
        };
        return dir.write(
            "fanoutd-" + who + ".yaml",
            make_config(prefix, dlq, topic,
                        {{"steady", "libfanout_test_scripted.so", record("steady")},
                         {"churn", "libfanout_test_scripted.so", record("churn"),
                          "    batch: { max_events: " + std::to_string(churn_batch) + ", linger_ms: 5 }\n"}}));
    };
    const std::array<std::string, 2> names = {"a", "b"};
    FanoutdProcess a(write_config("a", 100), dir / "a.log"), b(write_config("b", 100), dir / "b.log");
    std::array<FanoutdProcess*, 2> daemons = {&a, &b};
    a.start();
    b.start();
    ASSERT_TRUE(a.wait_for_log("ready: every plugin joined", 30s)) << a.log();
    ASSERT_TRUE(b.wait_for_log("ready: every plugin joined", 30s)) << b.log();

    std::atomic<bool> stop_producing{false};
    std::thread producer([&] {
        while (!stop_producing) {
            produce_events(topic, 300);
            std::this_thread::sleep_for(20ms);
        }
    });

    // Each reload restarts `churn` in one process; the next one comes after
    // a random pause: none (the new consumer has just subscribed), a few ms
    // (it is joining), tens to hundreds of ms (its first rebalance, or the
    // other process's), or longer (it consumes).
    std::mt19937 random(std::random_device{}());
    auto pause = [&]() -> std::chrono::milliseconds {
        switch (std::uniform_int_distribution<int>(0, 3)(random)) {
            case 0: return 0ms;
            case 1: return std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 60)(random));
            case 2: return std::chrono::milliseconds(std::uniform_int_distribution<int>(60, 400)(random));
            default: return std::chrono::milliseconds(std::uniform_int_distribution<int>(400, 1500)(random));
        }
    };
    std::array<int, 2> applied = {0, 0};
    int reloads = 0;
    std::chrono::milliseconds slowest{0};
    const auto until = Clock::now() + 40s;
    while (Clock::now() < until && reloads < 60) {
        const int i = std::uniform_int_distribution<int>(0, 1)(random);
        FanoutdProcess& d = *daemons[i];
        write_config(names[i], 100 + reloads + 1);
        const auto sent = Clock::now();
        d.signal(SIGHUP);
        ++reloads;
        // Wait for this reload to be applied, or for the process to die.
        std::string log;
        const auto deadline = Clock::now() + 30s;
        while ((log = d.log(), count_of(log, "reload applied") <= applied[i]) && d.running() &&
               Clock::now() < deadline) {
            std::this_thread::sleep_for(5ms);
        }
        ASSERT_TRUE(d.running()) << "fanoutd " << names[i] << " died at reload " << reloads << ": exit "
                                 << d.wait_exit(1s) << "\n"
                                 << tail(d.log());
        ASSERT_GT(count_of(log, "reload applied"), applied[i]) << tail(log);
        applied[i] = count_of(log, "reload applied");
        slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent));
        std::this_thread::sleep_for(pause());
    }
    stop_producing = true;
    producer.join();
    EXPECT_GE(reloads, 10) << "too few reloads to mean anything";

    for (const char* plugin : {"steady", "churn"}) {
        ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + "." + plugin, topic, k_partitions); }, 60s))
            << plugin << "\n"
            << tail(a.log()) << tail(b.log());
    }
    for (std::size_t i = 0; i < daemons.size(); ++i) {
        ASSERT_TRUE(daemons[i]->running()) << tail(daemons[i]->log());
        daemons[i]->signal(SIGTERM);
        EXPECT_EQ(daemons[i]->wait_exit(30s), 0) << tail(daemons[i]->log());
    }

    // Nothing accepted is lost: every event was handled by each plugin in one
    // of the two processes.
    const auto expected = all_coordinates(admin.end_offsets(topic, k_partitions));
    for (const char* plugin : {"steady", "churn"}) {
        std::set<Coordinate> seen;
        for (const auto& who : names) {
            for (const auto& d : read_deliveries(dir / (std::string(plugin) + "-" + who + ".txt"))) {
                seen.emplace(d.partition, d.offset);
            }
        }
        EXPECT_EQ(seen, expected) << plugin;
    }
    std::cout << "reloads: " << reloads << " (a " << applied[0] << ", b " << applied[1] << "), slowest "
              << slowest.count() << " ms, events: " << expected.size() << "\n";
}
