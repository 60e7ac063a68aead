// The sql_read_model plugin's factory and exported descriptor.
#include "fanout/fanout.hpp"
#include "read_model_plugin.hpp"
#include "settings.hpp"

namespace fanout::plugins::sql_read_model {
namespace {

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    auto plugin = std::make_unique<ReadModelPlugin>(parse_settings(options), context);
    plugin->start();
    return plugin;
}

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{
    k_descriptor_magic,
    k_abi_version,
    "sql_read_model",
    "1.0.0",
    "projects post events into the SQL read model (SQLite or PostgreSQL) with an exactly-once effect",
    k_options.data(),
    k_options.size(),
    &create,
};

}  // namespace fanout::plugins::sql_read_model

FANOUT_EXPORT_PLUGIN(fanout::plugins::sql_read_model::descriptor)
