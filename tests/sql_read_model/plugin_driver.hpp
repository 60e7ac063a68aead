#pragma once
// The built libfanout_sql_read_model.so, loaded by the daemon's own
// PluginLibrary and driven like a pipeline drives it, without Kafka.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fake_event.hpp"
#include "fanout/fanout.hpp"
#include "fanout/testing.hpp"
#include "plugin_library.hpp"

namespace fanout::test {

using testing::FakeContext;

class PluginUnderTest {
public:
    /// `options_yaml`: the plugin's options block as YAML. Throws what the
    /// host would report (ConfigError for bad options, create()'s throw).
    explicit PluginUnderTest(const std::string& options_yaml, std::string group = "fanout.read-model");
    ~PluginUnderTest();

    /// handle() with all-done outcomes in, the plugin's outcomes out.
    std::vector<Outcome> handle(const std::vector<FakeEvent>& events);
    /// on_assigned for `partitions` of `topic`; returns next offsets.
    std::vector<std::int64_t> assign(const std::string& topic, const std::vector<int>& partitions);
    void revoke(const std::string& topic, const std::vector<int>& partitions);

    std::uint64_t counter(const std::string& name) { return context_.counter(name).value(); }
    std::string log() const { return context_.log().text(); }

private:
    // The library outlives the plugin it made.
    std::shared_ptr<daemon::PluginLibrary> library_;
    FakeContext context_;
    std::unique_ptr<Plugin> plugin_;
};

}  // namespace fanout::test
