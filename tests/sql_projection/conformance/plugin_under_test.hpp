#pragma once
// A built plugin library (build/lib/lib<name>.so), loaded by the daemon's own
// PluginLibrary, its options validated as fanoutd validates them, and driven
// like a pipeline drives it, without Kafka: handle() directly, or through the
// SDK's BatchDriver (fanout/testing.hpp) on plugin().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fanout/fanout.hpp"
#include "fanout/testing.hpp"
#include "plugin_library.hpp"

namespace fanout::test {

/// Which library, under which name.
struct PluginIdentity {
    std::string library;  ///< file name in build/lib
    std::string name;     ///< the plugin's name in a fanoutd config (and its log prefix)
};

/// What fanoutd adds to the options of the instance that rebuilds a
/// projection (fanoutctl rebuild): sql-projection's host options.
struct RebuildHostOptions {
    std::int64_t retire_after_s = 600;
};

class PluginUnderTest {
public:
    /// `options_yaml`: the plugin's options block as YAML; `group`: the
    /// consumer group its context reports; `rebuild`: the instance rebuilds
    /// the projection, as fanoutd's rebuild pipeline does. Throws what the
    /// host would report (ConfigError for bad options, create()'s throw).
    PluginUnderTest(const PluginIdentity& identity, const std::string& options_yaml, std::string group,
                    std::optional<RebuildHostOptions> rebuild = std::nullopt);
    ~PluginUnderTest();

    /// handle() with all-done outcomes in, the plugin's outcomes out; then
    /// between_batches(idle) as fanoutd calls it (`idle`: nothing else
    /// waits; false: more events wait, as under load).
    std::vector<Outcome> handle(const std::vector<fanout::testing::FakeEvent>& events, bool idle = true);
    /// between_batches(idle) alone (a host round without a batch).
    void settle(bool idle);
    /// Times between_batches answered `lost` after handle().
    std::size_t losses() const noexcept { return losses_; }
    /// on_assigned for `partitions` of `topic`; returns next offsets.
    std::vector<std::int64_t> assign(const std::string& topic, const std::vector<int>& partitions);
    void revoke(const std::string& topic, const std::vector<int>& partitions);

    Plugin& plugin() { return *plugin_; }
    std::uint64_t counter(const std::string& name) { return context_.counter(name).value(); }
    /// A gauge's value; nullopt when the plugin never set it up.
    std::optional<double> gauge(const std::string& name) const { return context_.gauge_value(name); }
    std::string log() const { return context_.log().text(); }

private:
    // The library outlives the plugin it made.
    std::shared_ptr<daemon::PluginLibrary> library_;
    fanout::testing::FakeContext context_;
    std::unique_ptr<Plugin> plugin_;
    std::size_t losses_ = 0;
};

}  // namespace fanout::test
