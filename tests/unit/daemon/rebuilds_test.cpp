// The arithmetic of a rebuild's progress line and the retention refusal
// (daemon/src/rebuilds.hpp).
#include "rebuilds.hpp"

#include <gtest/gtest.h>

namespace fanout::daemon {
namespace {

using namespace std::chrono_literals;

TEST(RebuildProgress, RateAndEtaComeFromTheLastTenSeconds) {
    RebuildProgress progress;
    const auto t0 = RebuildProgress::Clock::now();
    RebuildView view;
    progress.sample(t0, 0, 10'000);
    progress.describe(view);
    EXPECT_EQ(view.progress, 0.0);
    EXPECT_FALSE(view.eta_seconds) << "one sample: no rate yet";

    // 1,000 events/s for 20 s, then 4,000 events/s: the rate follows the recent pace.
    for (int s = 1; s <= 20; ++s) progress.sample(t0 + std::chrono::seconds(s), 1'000LL * s, 100'000);
    for (int s = 21; s <= 35; ++s) progress.sample(t0 + std::chrono::seconds(s), 20'000 + 4'000LL * (s - 20), 100'000);
    progress.describe(view);
    EXPECT_EQ(view.position, 80'000);
    EXPECT_EQ(view.end, 100'000);
    EXPECT_DOUBLE_EQ(view.progress, 0.8);
    EXPECT_NEAR(view.events_per_second, 4'000.0, 1.0);
    ASSERT_TRUE(view.eta_seconds);
    EXPECT_EQ(*view.eta_seconds, 5.0);
}

TEST(RebuildProgress, CaughtUpIsZeroSecondsAndAStallHasNoEta) {
    RebuildProgress progress;
    const auto t0 = RebuildProgress::Clock::now();
    RebuildView view;
    progress.sample(t0, 100, 500);
    progress.sample(t0 + 2s, 100, 500);
    progress.describe(view);
    EXPECT_EQ(view.events_per_second, 0.0);
    EXPECT_FALSE(view.eta_seconds) << "no progress: no estimate, not infinity";
    progress.sample(t0 + 3s, 500, 500);
    progress.describe(view);
    ASSERT_TRUE(view.eta_seconds);
    EXPECT_EQ(*view.eta_seconds, 0.0);
    EXPECT_DOUBLE_EQ(view.progress, 1.0);
}

TEST(RebuildProgress, TheJsonObjectHasEveryFieldWithNullsForTheUnknown) {
    RebuildView view;
    view.plugin = "read_model";
    view.state = "building";
    const std::string json = rebuild_json(view);
    for (const char* field : {"\"plugin\":\"read_model\"", "\"state\":\"building\"", "\"generation\":null",
                              "\"position\":0", "\"end\":0", "\"progress\":0", "\"eventsPerSecond\":0",
                              "\"etaSeconds\":null", "\"startedAt\":null", "\"switchedAt\":null", "\"error\":null"}) {
        EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
    }
}

TEST(RetentionRefusal, NamesEachPartitionThatLostItsStartAndPointsAtTheRestore) {
    EXPECT_FALSE(retention_refusal("read_model", {{"posts", 0, 0, 10}, {"posts", 1, 0, 0}}));
    const auto refusal = retention_refusal("read_model", {{"posts", 0, 0, 10}, {"posts", 1, 1200, 1500}});
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->find("posts[1] starts at offset 1200"), std::string::npos) << *refusal;
    EXPECT_EQ(refusal->find("posts[0]"), std::string::npos) << *refusal;
    EXPECT_NE(refusal->find("restoreReadDb"), std::string::npos) << *refusal;

    std::vector<PartitionWatermarks> many;
    for (int p = 0; p < 14; ++p) many.push_back({"posts", p, 5, 9});
    const auto long_one = retention_refusal("read_model", many);
    ASSERT_TRUE(long_one);
    EXPECT_NE(long_one->find("and 4 more partition(s)"), std::string::npos) << *long_one;
}

TEST(RebuildSettings, ItsOwnNameFromOffsetZeroWithoutTheRedriveTopic) {
    PluginSettings live;
    live.name = "read_model";
    live.topics = {"post-events"};
    live.start_from = StartFrom::latest;
    live.redrive_topic = redrive_topic_of("fanout.dead-letters", "read_model");
    live.batch_max_events = 777;
    const PluginSettings rebuild = rebuild_settings(live);
    EXPECT_EQ(rebuild.name, "read_model.rebuild");
    EXPECT_EQ(rebuild.rebuild_of, "read_model");
    EXPECT_EQ(rebuild.start_from, StartFrom::earliest);
    EXPECT_EQ(rebuild.topics, live.topics);
    EXPECT_TRUE(rebuild.redrive_topic.empty()) << "a rebuild reads the log from offset 0, never the redrive topic";
    EXPECT_EQ(rebuild.batch_max_events, 777u) << "everything else is the live plugin's";
}

}  // namespace
}  // namespace fanout::daemon
