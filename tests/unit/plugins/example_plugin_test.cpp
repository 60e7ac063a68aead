// The example (audit-log) plugin, loaded from its library and driven
// in-process: its lines, and a file a crash left with a torn last line.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "fanout/testing.hpp"
#include "option_values.hpp"
#include "plugin_library.hpp"
#include "process.hpp"

using fanout::Outcome;
using fanout::testing::FakeContext;
using fanout::testing::FakeEvent;
using namespace fanout::test;

namespace {

/// Runs the plugin, appending to `file`, over `events` (all done?).
std::vector<Outcome> append(const std::filesystem::path& file, const std::vector<FakeEvent>& events,
                            FakeContext& context) {
    auto library = fanout::daemon::PluginLibrary::load(lib_dir() / "libfanout_example.so");
    const auto options = fanout::daemon::OptionValues::validate(
        library->descriptor().option_specs(), YAML::Load("path: " + file.string()), "test.yaml", "plugin 'audit'");
    auto plugin = library->descriptor().create(options, context);
    std::vector<Outcome> outcomes(events.size());
    const auto pointers = fanout::testing::pointers(events);
    plugin->handle(pointers, outcomes);
    return outcomes;
}

std::vector<FakeEvent> events_at(int partition, std::int64_t first, int count) {
    std::vector<FakeEvent> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(FakeEvent("PostCreatedEvent", "post-" + std::to_string(i), 1, R"({"message":"hi"})")
                          .at("post-events", partition, first + i));
    }
    return out;
}

std::string coordinates_line_prefix(int partition, std::int64_t offset) {
    return R"({"topic":"post-events","partition":)" + std::to_string(partition) +
           R"(,"offset":)" + std::to_string(offset) + ",";
}

}  // namespace

TEST(ExamplePlugin, AppendsOneWholeJsonLinePerEvent) {
    TempDir dir;
    FakeContext context("audit");
    for (const auto& o : append(dir / "audit.jsonl", events_at(2, 40, 3), context)) EXPECT_TRUE(o.is_done());
    const auto lines = read_lines(dir / "audit.jsonl");
    ASSERT_EQ(lines.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(lines[i].starts_with(coordinates_line_prefix(2, 40 + i))) << lines[i];
        EXPECT_TRUE(lines[i].ends_with("\"}")) << lines[i];
    }
    EXPECT_EQ(context.counter_value("lines_written"), 3u);
    EXPECT_FALSE(context.log().contains("torn"));
}

TEST(ExamplePlugin, ATornLastLineIsEndedSoTheNextLinesStayWhole) {
    TempDir dir;
    // What a kill -9 in the middle of a batch's write leaves behind.
    const std::string whole = coordinates_line_prefix(0, 7) + R"("key":"k","type":"T","payload":"{}"})";
    const std::string torn = coordinates_line_prefix(0, 8).substr(0, 30);
    const auto file = dir.write("audit.jsonl", whole + "\n" + torn);

    FakeContext context("audit");
    for (const auto& o : append(file, events_at(1, 0, 2), context)) EXPECT_TRUE(o.is_done());
    const auto lines = read_lines(file);
    ASSERT_EQ(lines.size(), 4u) << read_file(file);
    EXPECT_EQ(lines[0], whole);
    EXPECT_EQ(lines[1], torn) << "left as it was, on a line of its own";
    EXPECT_TRUE(lines[2].starts_with(coordinates_line_prefix(1, 0))) << lines[2];
    EXPECT_TRUE(lines[3].starts_with(coordinates_line_prefix(1, 1))) << lines[3];
    EXPECT_TRUE(context.log().contains("was torn by a crash", fanout::LogLevel::warning));

    // A start after a clean stop adds no empty line.
    FakeContext again("audit");
    append(file, events_at(1, 2, 1), again);
    const auto after = read_lines(file);
    ASSERT_EQ(after.size(), 5u) << read_file(file);
    EXPECT_TRUE(after[4].starts_with(coordinates_line_prefix(1, 2))) << after[4];
    EXPECT_EQ(read_file(file).find("\n\n"), std::string::npos) << read_file(file);
    EXPECT_FALSE(again.log().contains("torn"));
}

TEST(ExamplePlugin, ANonRegularFileSuchAsDevNullIsWrittenWithoutTheTornLineCheck) {
    FakeContext context("audit");
    for (const auto& o : append("/dev/null", events_at(0, 0, 2), context)) EXPECT_TRUE(o.is_done());
    EXPECT_EQ(context.counter_value("lines_written"), 2u);
    EXPECT_FALSE(context.log().contains("torn"));
    EXPECT_FALSE(context.log().contains("cannot"));
}
