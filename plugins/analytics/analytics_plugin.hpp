#pragma once
// The analytics plugin: counts posts, comments and likes per author, per
// UTC day and per post. Exactly once through fanout/sql/projection_plugin.hpp:
// each batch's counter deltas commit with its checkpoints; replays count
// nothing (positions and versions).
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fanout/sql/projection_plugin.hpp"
#include "projection.hpp"  // Verdict, the fold
#include "schema.hpp"      // the tables and their migrations

namespace fanout::plugins::analytics {

class AnalyticsPlugin final : public sql::ProjectionPlugin<AnalyticsPlugin, Verdict> {
public:
    AnalyticsPlugin(sql::ConnectionSettings database, Context& context);

    using Store = analytics::Store;

    // The projection, as ProjectionPlugin calls it.
    std::unique_ptr<Store> open_store(std::unique_ptr<soci::session> session, sql::Backend backend) {
        if (backend == sql::Backend::sqlite) return make_sqlite_store(std::move(session));
        return make_postgres_store(std::move(session));
    }
    void prepare(std::span<const Event* const> events) { ids_ = &projection_.prepare(events); }
    const ChangeSet& project(Store& store, std::vector<Verdict>& verdicts) {
        store.load(*ids_, stored_);
        return projection_.project(stored_, verdicts);
    }
    /// Counts the committed batch's events about posts never created.
    void committed(const ChangeSet& changes, std::span<const Verdict> verdicts);

private:
    Counter& unknown_posts_;
    Projection projection_;

    // Per-batch scratch, kept to reuse allocations.
    const std::vector<std::string_view>* ids_ = nullptr;  ///< the batch's posts (prepare())
    StoredPosts stored_;
};

}  // namespace fanout::plugins::analytics
