// The analytics plugin's options and exported descriptor.
#include "analytics_plugin.hpp"
#include "fanout/fanout.hpp"

namespace fanout::plugins::analytics {
namespace {

constexpr auto k_options = sql::database_options(
    "analytics database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
    "\"host=... dbname=...\" (may be the read model's database: every table is prefixed analytics_)");

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor = sql::projection_descriptor<AnalyticsPlugin>(
    "analytics", "1.0.0",
    "counts posts, comments and likes per author, per day and per post in SQL (SQLite or PostgreSQL), exactly once",
    k_options);

}  // namespace fanout::plugins::analytics

FANOUT_EXPORT_PLUGIN(fanout::plugins::analytics::descriptor)
