#include "plugin_driver.hpp"

#include <yaml-cpp/yaml.h>

#include "option_values.hpp"
#include "process.hpp"

namespace fanout::test {

PluginUnderTest::PluginUnderTest(const std::string& options_yaml, std::string group)
    : library_(daemon::PluginLibrary::load(lib_dir() / "libfanout_sql_read_model.so")),
      context_("read-model", std::move(group)) {
    const auto options = daemon::OptionValues::validate(library_->descriptor().option_specs(), YAML::Load(options_yaml),
                                                        "test.yaml", "plugin 'read-model'");
    plugin_ = library_->descriptor().create(options, context_);
}

PluginUnderTest::~PluginUnderTest() { plugin_.reset(); }

std::vector<Outcome> PluginUnderTest::handle(const std::vector<FakeEvent>& events) {
    std::vector<Outcome> outcomes(events.size());
    plugin_->handle(pointers(events), outcomes);
    return outcomes;
}

std::vector<std::int64_t> PluginUnderTest::assign(const std::string& topic, const std::vector<int>& partitions) {
    std::vector<TopicPartition> tps;
    for (int p : partitions) tps.push_back({topic, p});
    std::vector<std::int64_t> out;
    for (const PartitionOffset& po : plugin_->checkpointing()->on_assigned(tps)) out.push_back(po.next_offset);
    return out;
}

void PluginUnderTest::revoke(const std::string& topic, const std::vector<int>& partitions) {
    std::vector<TopicPartition> tps;
    for (int p : partitions) tps.push_back({topic, p});
    plugin_->checkpointing()->on_revoked(tps);
}

}  // namespace fanout::test
