#include "plugin_under_test.hpp"

#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "option_values.hpp"
#include "process.hpp"

namespace fanout::test {
namespace {

std::vector<TopicPartition> topic_partitions(const std::string& topic, const std::vector<int>& partitions) {
    std::vector<TopicPartition> out;
    for (int p : partitions) out.push_back({topic, p});
    return out;
}

}  // namespace

PluginUnderTest::PluginUnderTest(const PluginIdentity& identity, const std::string& options_yaml, std::string group,
                                 std::optional<RebuildHostOptions> rebuild)
    : library_(daemon::PluginLibrary::load(lib_dir() / identity.library)), context_(identity.name, std::move(group)) {
    auto options = daemon::OptionValues::validate(library_->descriptor().option_specs(), YAML::Load(options_yaml),
                                                  "test.yaml", "plugin '" + identity.name + "'");
    if (rebuild) {
        options.set("fanout.rebuild", true, true);
        options.set("fanout.rebuild_retire_after_s", rebuild->retire_after_s, true);
    }
    try {
        plugin_ = library_->descriptor().create(options, context_);
    } catch (const std::exception& e) {
        // The exception's type may live in the library, which unwinding
        // this constructor unloads: keep its message in a type of our own.
        throw std::runtime_error(e.what());
    }
}

PluginUnderTest::~PluginUnderTest() { plugin_.reset(); }

std::vector<Outcome> PluginUnderTest::handle(const std::vector<fanout::testing::FakeEvent>& events, bool idle) {
    std::vector<Outcome> outcomes(events.size());
    if (fanout::testing::handle_then_settle(*plugin_, fanout::testing::pointers(events), outcomes, idle) ==
        Checkpointing::Durability::lost) {
        ++losses_;
    }
    return outcomes;
}

void PluginUnderTest::settle(bool idle) {
    if (plugin_->checkpointing()->between_batches(idle) == Checkpointing::Durability::lost) ++losses_;
}

std::vector<std::int64_t> PluginUnderTest::assign(const std::string& topic, const std::vector<int>& partitions) {
    std::vector<std::int64_t> out;
    for (const PartitionOffset& po : plugin_->checkpointing()->on_assigned(topic_partitions(topic, partitions)))
        out.push_back(po.next_offset);
    return out;
}

void PluginUnderTest::revoke(const std::string& topic, const std::vector<int>& partitions) {
    plugin_->checkpointing()->on_revoked(topic_partitions(topic, partitions));
}

}  // namespace fanout::test
