// The shipped projections written in configuration only
// (config/projections/read_model.yaml, analytics.yaml) against the C++
// plugins they restate: the same stream, batch by batch, into two databases
// of one backend; the tables must be equal to each other and to the
// reference fold. The stream carries copies of earlier events under new
// offsets, as an outbox relay that published twice leaves them: both must
// count them once.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model.hpp"
#include "plugin_under_test.hpp"
#include "relay_stream.hpp"
#include "tables.hpp"
#include "test_database.hpp"

using namespace fanout::test;

namespace {

const std::filesystem::path k_projections = std::filesystem::path(FANOUT_SOURCE_DIR) / "config" / "projections";

std::string config_options(const TestDatabase& db, const std::string& definition) {
    return db.connection_option() + "definition: " + yaml_quote((k_projections / definition).string()) + "\n";
}

class ConfigProjections : public ::testing::TestWithParam<DbBackend> {
protected:
    /// The C++ plugin and its configuration twin over the stream; returns
    /// the two databases' tables read by `read`.
    template <class Read>
    auto run_both(const std::string& library, const std::string& definition, Read read) {
        const std::vector<FakeEvent> events = relay_stream();
        TestDatabase native(GetParam()), configured(GetParam());
        {
            PluginUnderTest plugin({library, "native"}, native.connection_option(), "fanout.native");
            feed_in_batches(plugin.plugin(), events);
        }
        {
            PluginUnderTest plugin({"libfanout_sql_config.so", "configured"}, config_options(configured, definition),
                                   "fanout.configured");
            feed_in_batches(plugin.plugin(), events);
        }
        return std::make_pair(read(native.session()), read(configured.session()));
    }

    template <class Reference>
    static auto reference_of(const std::vector<FakeEvent>& events) {
        Reference reference;
        for (const FakeEvent& e : events) reference.apply(e.payload());
        return reference.tables();
    }

    /// The configured tables after run_both, checked equal to the native
    /// plugin's and to the reference, and not empty: more than 100 posts
    /// and 1,000 likes.
    template <class Reference, class Read>
    auto configured_equal_to_native(const std::string& library, const std::string& file, Read read) {
        const auto [native, configured] = run_both(library, file, read);
        EXPECT_EQ(differences(native, configured), "");
        EXPECT_EQ(differences(reference_of<Reference>(relay_stream()), configured), "");
        EXPECT_GT(configured.posts.size(), 100u);
        EXPECT_GT(configured.total_likes(), 1000);
        return configured;
    }
};

TEST_P(ConfigProjections, TheReadModelAsConfigurationEqualsSqlReadModel) {
    const auto configured =
        configured_equal_to_native<ReferenceModel>("libfanout_sql_read_model.so", "read_model.yaml", read_model);
    // Not an empty stream compared with itself.
    EXPECT_GT(configured.comments.size(), 100u);
    EXPECT_GT(configured.removed.size(), 5u);
}

TEST_P(ConfigProjections, TheAnalyticsAsConfigurationEqualAnalytics) {
    const auto configured =
        configured_equal_to_native<ReferenceCounts>("libfanout_analytics.so", "analytics.yaml", read_tables);
    EXPECT_GT(configured.authors.size(), 10u);
    EXPECT_GE(configured.days.size(), 12u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigProjections, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
