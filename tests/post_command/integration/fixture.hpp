#pragma once
// One post-command process on a fresh store and a fresh topic.
#include <memory>
#include <numeric>
#include <string>

#include <gtest/gtest.h>

#include "command_client.hpp"
#include "kafka_test.hpp"
#include "process.hpp"
#include "service_process.hpp"
#include "store_fixture.hpp"

namespace fanout::test {

/// A port nothing listens on: a broker address that is down.
inline std::string dead_brokers() { return "127.0.0.1:1"; }

struct ServiceOptions {
    std::string brokers;     ///< empty: the test broker
    std::string extra_yaml;  ///< appended to the generated config file
    int partitions = 3;
};

/// Options with extra YAML (and a partition count).
inline ServiceOptions with_yaml(std::string yaml, int partitions = 3) {
    ServiceOptions o;
    o.extra_yaml = std::move(yaml);
    o.partitions = partitions;
    return o;
}

class ServiceUnderTest {
public:
    ServiceUnderTest(StoreKind kind, ServiceOptions options = {})
        : store(kind), topic(unique_name("pc-posts")), options_(std::move(options)) {
        admin.create_topic(topic, options_.partitions);
        process = std::make_unique<ServiceProcess>(dir / "post-command.log", args(options_.brokers));
    }
    ~ServiceUnderTest() {
        client.reset();  // an idle keep-alive connection would hold the shutdown for its timeout
        if (process->running()) {
            EXPECT_EQ(process->stop(), 0) << process->log();
        }
    }

    /// post-command arguments for this store and topic.
    std::vector<std::string> args(const std::string& brokers_override) const {
        // A test that configures the relay itself says the lag interval too (one `relay:` key only).
        const std::string relay =
            options_.extra_yaml.find("relay:") == std::string::npos ? "relay: {lag_log_interval_ms: 200}\n" : "";
        const std::string http =
            options_.extra_yaml.find("http:") == std::string::npos ? "http: {keep_alive_timeout_s: 1}\n" : "";
        const auto config =
            dir.write("post-command.yaml", relay + http + "shutdown_timeout_ms: 2000\n" + options_.extra_yaml);
        return {"--config",      config.string(),
                "--listen",      "127.0.0.1:0",
                "--event-store", store.connection(),
                "--brokers",     brokers_override.empty() ? brokers() : brokers_override,
                "--topic",       topic,
                "--log-level",   "debug"};
    }

    /// The YAML appended to the config file from the next start() on.
    void set_extra_yaml(std::string yaml) { options_.extra_yaml = std::move(yaml); }

    /// Start (or restart) the process; fails the test when it does not come up.
    int start(const std::string& brokers_override = "") {
        process->set_args(args(brokers_override));
        const int port = process->start();
        EXPECT_GT(port, 0) << process->log();
        client = std::make_unique<CommandClient>(port);
        return port;
    }

    std::size_t records_on_topic() {
        const auto ends = admin.end_offsets(topic, options_.partitions);
        return static_cast<std::size_t>(std::accumulate(ends.begin(), ends.end(), std::int64_t{0}));
    }

    /// Wait until this process's relay leads (it publishes and runs restores).
    bool wait_leading() {
        return wait_until(
            [&] {
                const auto s = client->status();
                return s.HasMember("relay") && std::string(s["relay"]["role"].GetString()) == "leading";
            },
            std::chrono::seconds(30));
    }

    /// Wait until restoreReadDb reports completed (at most 30 s); its last
    /// progress in `progress`.
    bool wait_restore_completed(rapidjson::Document& progress) {
        return wait_until(
            [&] {
                progress.Parse(client->send("GET", "/api/v1/restoreReadDb").body.c_str());
                return progress.IsObject() && std::string(progress["state"].GetString()) == "completed";
            },
            std::chrono::seconds(30));
    }

    /// A PostLikedEvent of `post_id` written straight into the store at
    /// `sequence`: what a writer that does not serialise its appends leaves
    /// behind (holes, late commits).
    void insert_like_by_hand(const std::string& post_id, int sequence, int version) {
        const std::string event_id = "00000000-0000-4000-8000-00000000000" + std::to_string(sequence);
        store.sql() << "INSERT INTO events (global_sequence, event_id, aggregate_id, version, type, data, "
                       "occurred_at) VALUES (:s, :e, :a, :v, 'PostLikedEvent', '{}', '2026-11-22T10:00:00.000Z')",
            soci::use(sequence), soci::use(event_id), soci::use(post_id), soci::use(version);
    }

    /// Wait for lag 0, then read every record of the topic.
    std::vector<TopicEvent> published(std::int64_t min_stored) {
        EXPECT_TRUE(client->wait_published(min_stored, std::chrono::seconds(30))) << process->log();
        return read_topic(topic, records_on_topic());
    }

    TempDir dir;
    TestStore store;
    KafkaAdmin admin;
    std::string topic;
    std::unique_ptr<ServiceProcess> process;
    std::unique_ptr<CommandClient> client;

private:
    ServiceOptions options_;
};

inline std::string store_name(const ::testing::TestParamInfo<StoreKind>& info) { return to_string(info.param); }

}  // namespace fanout::test
