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

}  // namespace fanout::plugins::analytics
