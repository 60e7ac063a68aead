// The analytics plugin: what it adds after a commit, its options and exported descriptor.
#include "analytics_plugin.hpp"

#include <cstdint>
#include <utility>

namespace fanout::plugins::analytics {

AnalyticsPlugin::AnalyticsPlugin(sql::ConnectionSettings database, Context& context)
    : ProjectionPlugin(std::move(database), context, "analytics", schema()),
      unknown_posts_(context.counter("unknown_posts")) {}

void AnalyticsPlugin::committed(const ChangeSet&, std::span<const Verdict> verdicts) {
    std::uint64_t unknown = 0;
    for (const Verdict& v : verdicts) {
        if (v.unknown_post) ++unknown;
    }
    unknown_posts_.add(unknown);
}

/// Options: the database only (fanout/sql/settings.hpp).
constexpr auto k_options = sql::database_options(
    "analytics database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
    "\"host=... dbname=...\" (may be the read model's database: every table is prefixed analytics_)");
const PluginDescriptor descriptor = sql::projection_descriptor<AnalyticsPlugin>(
    "analytics", "1.0.0",
    "counts posts, comments and likes per author, per day and per post in SQL (SQLite or PostgreSQL), exactly once",
    k_options);

}  // namespace fanout::plugins::analytics

FANOUT_EXPORT_PLUGIN(fanout::plugins::analytics::descriptor)
