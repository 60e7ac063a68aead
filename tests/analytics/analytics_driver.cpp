#include "analytics_driver.hpp"

#include <yaml-cpp/yaml.h>

#include "option_values.hpp"
#include "process.hpp"

namespace fanout::test {

AnalyticsUnderTest::AnalyticsUnderTest(const std::string& options_yaml, std::string group)
    : library_(daemon::PluginLibrary::load(lib_dir() / "libfanout_analytics.so")),
      context_("analytics", std::move(group)) {
    const auto options = daemon::OptionValues::validate(library_->descriptor().option_specs(), YAML::Load(options_yaml),
                                                        "test.yaml", "plugin 'analytics'");
    plugin_ = library_->descriptor().create(options, context_);
}

AnalyticsUnderTest::~AnalyticsUnderTest() { plugin_.reset(); }

std::vector<Outcome> AnalyticsUnderTest::handle(const std::vector<FakeEvent>& events) {
    std::vector<Outcome> outcomes(events.size());
    const auto ptrs = pointers(events);
    plugin_->handle(ptrs, outcomes);
    return outcomes;
}

std::vector<std::int64_t> AnalyticsUnderTest::assign(const std::string& topic, const std::vector<int>& partitions) {
    std::vector<TopicPartition> tps;
    for (int p : partitions) tps.push_back({topic, p});
    std::vector<std::int64_t> out;
    for (const PartitionOffset& po : plugin_->checkpointing()->on_assigned(tps)) out.push_back(po.next_offset);
    return out;
}

}  // namespace fanout::test
