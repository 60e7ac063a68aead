// The shipped projections written in configuration only
// (config/projections/read_model.yaml, analytics.yaml) against the C++
// plugins they restate: the same stream, batch by batch, into two databases
// of one backend; the tables must be equal to each other and to the
// reference fold. The stream carries copies of earlier events under new
// offsets, as an outbox relay that published twice leaves them: both must
// count them once.
#include <gtest/gtest.h>

#include <cstdio>
#include <rapidjson/document.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "event_builder.hpp"
#include "events.hpp"
#include "model.hpp"
#include "plugin_under_test.hpp"
#include "tables.hpp"
#include "test_database.hpp"

using namespace fanout::test;

namespace {

const std::filesystem::path k_projections = std::filesystem::path(FANOUT_SOURCE_DIR) / "config" / "projections";

/// `envelope` with its post removed at its version (PostRemovedEvent).
std::string removal_of(const std::string& envelope) {
    rapidjson::Document d;
    d.Parse(envelope.c_str());
    return make_envelope(d["eventId"].GetString(), "PostRemovedEvent", d["aggregateId"].GetString(),
                         d["version"].GetInt64(), d["globalSequence"].GetInt64(), d["occurredAt"].GetString(), "{}");
}

/// Every date of `envelope` ("2026-11-DD") moved to day `day` (1-28).
std::string on_day(std::string envelope, int day) {
    char date[16];
    std::snprintf(date, sizeof date, "2026-11-%02d", day);
    for (std::size_t at = 0; (at = envelope.find("2026-11-", at)) != std::string::npos; at += 10) {
        envelope.replace(at, 10, date);
    }
    return envelope;
}

/// 12,000 events over 300 posts on one partition, over 12 days; now and
/// then a post is removed (its later events never come); every 40th event
/// is followed by a copy of an event already sent (a relay's duplicate).
std::vector<FakeEvent> stream_with_duplicates() {
    EventGenerator generator(300, 77);
    PartitionEvents partition;
    std::vector<FakeEvent> out;
    std::vector<std::pair<std::string, std::string>> sent;  // envelope, key
    std::set<std::string> removed;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 12'000; ++i) {
        const GeneratedEvent g = generator.next();
        if (removed.count(g.key) != 0) continue;
        std::string value = on_day(g.value, 1 + i / 1000);
        if (g.type != "PostCreatedEvent" && rng() % 400 == 0) {
            value = removal_of(value);
            removed.insert(g.key);
        }
        sent.emplace_back(value, g.key);
        out.push_back(partition.envelope(value, g.key));
        if (out.size() % 40 == 0) {
            const auto& [envelope, key] = sent[std::uniform_int_distribution<std::size_t>(0, sent.size() - 1)(rng)];
            out.push_back(partition.envelope(envelope, key));
        }
    }
    return out;
}

/// Feed `events` in batches of 1 to 700 events (the same cut for every plugin).
void feed(PluginUnderTest& plugin, const std::vector<FakeEvent>& events) {
    plugin.assign(k_topic, {0});
    std::mt19937 rng(9);
    for (std::size_t from = 0; from < events.size();) {
        const std::size_t n = std::min(events.size() - from, std::size_t{1} + rng() % 700);
        const std::vector<FakeEvent> batch(events.begin() + from, events.begin() + from + n);
        const auto outcomes = plugin.handle(batch);
        ASSERT_TRUE(all_done(outcomes)) << "batch at " << from << ": "
                                        << ::testing::PrintToString(describe(outcomes));
        from += n;
    }
}

std::string config_options(const TestDatabase& db, const std::string& definition) {
    return db.connection_option() + "definition: " + yaml_quote((k_projections / definition).string()) + "\n";
}

class ConfigProjections : public ::testing::TestWithParam<DbBackend> {
protected:
    /// The C++ plugin and its configuration twin over the stream; returns
    /// the two databases' tables read by `read`.
    template <class Read>
    auto run_both(const std::string& library, const std::string& definition, Read read) {
        const std::vector<FakeEvent> events = stream_with_duplicates();
        TestDatabase native(GetParam()), configured(GetParam());
        {
            PluginUnderTest plugin({library, "native"}, native.connection_option(), "fanout.native");
            feed(plugin, events);
        }
        {
            PluginUnderTest plugin({"libfanout_sql_config.so", "configured"}, config_options(configured, definition),
                                   "fanout.configured");
            feed(plugin, events);
        }
        return std::make_pair(read(native.session()), read(configured.session()));
    }

    template <class Reference>
    static auto reference_of(const std::vector<FakeEvent>& events) {
        Reference reference;
        for (const FakeEvent& e : events) reference.apply(e.payload());
        return reference.tables();
    }
};

TEST_P(ConfigProjections, TheReadModelAsConfigurationEqualsSqlReadModel) {
    const auto [native, configured] = run_both("libfanout_sql_read_model.so", "read_model.yaml", read_model);
    EXPECT_EQ(differences(native, configured), "");
    EXPECT_EQ(differences(reference_of<ReferenceModel>(stream_with_duplicates()), configured), "");
    // Not an empty stream compared with itself.
    EXPECT_GT(configured.posts.size(), 100u);
    EXPECT_GT(configured.comments.size(), 100u);
    EXPECT_GT(configured.removed.size(), 5u);
    EXPECT_GT(configured.total_likes(), 1000);
}

TEST_P(ConfigProjections, TheAnalyticsAsConfigurationEqualAnalytics) {
    const auto [native, configured] = run_both("libfanout_analytics.so", "analytics.yaml", read_tables);
    EXPECT_EQ(differences(native, configured), "");
    EXPECT_EQ(differences(reference_of<ReferenceCounts>(stream_with_duplicates()), configured), "");
    EXPECT_GT(configured.posts.size(), 100u);
    EXPECT_GT(configured.authors.size(), 10u);
    EXPECT_GE(configured.days.size(), 12u);
    EXPECT_GT(configured.total_likes(), 1000);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigProjections, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
