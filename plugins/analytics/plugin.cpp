// The analytics plugin's factory and exported descriptor.
#include "analytics_plugin.hpp"
#include "fanout/fanout.hpp"
#include "settings.hpp"

namespace fanout::plugins::analytics {
namespace {

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    auto plugin = std::make_unique<AnalyticsPlugin>(parse_settings(options), context);
    plugin->start();
    return plugin;
}

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{
    k_descriptor_magic,
    k_abi_version,
    "analytics",
    "1.0.0",
    "counts posts, comments and likes per author, per day and per post in SQL (SQLite or PostgreSQL), exactly once",
    k_options.data(),
    k_options.size(),
    &create,
};

}  // namespace fanout::plugins::analytics

FANOUT_EXPORT_PLUGIN(fanout::plugins::analytics::descriptor)
