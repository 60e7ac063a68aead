#include "shipped_projections.hpp"

#include <algorithm>

#include "analytics_traits.hpp"
#include "envelope.hpp"
#include "event_builder.hpp"
#include "projection_test.hpp"
#include "read_model_traits.hpp"

namespace fanout::test {

ShippedProjections::ShippedProjections(DbBackend backend)
    : read_db_(backend),
      analytics_db_(backend),
      read_model_(make_plugin<ReadModelTraits>(read_db_.connection_option())),
      analytics_(make_plugin<AnalyticsTraits>(analytics_db_.connection_option())) {
    read_model_->assign(k_topic, {0});
    analytics_->assign(k_topic, {0});
}

ShippedProjections::~ShippedProjections() = default;

std::vector<std::string> ShippedProjections::feed(const std::vector<post_command::StoredEvent>& events,
                                                  std::size_t batch) {
    std::vector<std::string> failures;
    for (std::size_t from = 0; from < events.size(); from += batch) {
        const std::size_t to = std::min(events.size(), from + batch);
        std::vector<FakeEvent> records;
        records.reserve(to - from);
        for (std::size_t i = from; i < to; ++i) {
            records.push_back(
                record(k_topic, 0, offset_++, post_command::make_envelope(events[i]), events[i].aggregate_id));
        }
        const auto check = [&](const char* plugin, const std::vector<Outcome>& outcomes) {
            for (std::size_t i = 0; i < outcomes.size(); ++i) {
                if (outcomes[i].is_done()) continue;
                const post_command::StoredEvent& e = events[from + i];
                failures.push_back(std::string(plugin) + ": " + e.type + " v" + std::to_string(e.version) + " of " +
                                   e.aggregate_id + ": " + std::string(outcomes[i].reason()));
            }
        };
        check("sql_read_model", read_model_->handle(records));
        check("analytics", analytics_->handle(records));
    }
    return failures;
}

}  // namespace fanout::test
