#pragma once
// The sql_read_model plugin: post events into the read model, exactly once
// (fanout/sql/projection_plugin.hpp keeps the checkpoints, fencing and
// retries). What it adds is the projection and known_, a cache of committed
// post versions that spares a batch the lookups of posts it saw before.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fanout/fanout.hpp"
#include "fanout/sql/projection_plugin.hpp"
#include "projection.hpp"
#include "schema.hpp"

namespace fanout::plugins::sql_read_model {

class ReadModelPlugin final : public sql::ProjectionPlugin<ReadModelPlugin, Verdict> {
public:
    using Store = sql_read_model::Store;

    ReadModelPlugin(sql::ConnectionSettings database, Context& context);

    /// The store of the session's backend (SQLite or PostgreSQL).
    static std::unique_ptr<Store> open_store(std::unique_ptr<soci::session> session, sql::Backend backend) {
        return backend == sql::Backend::postgresql ? make_postgres_store(std::move(session))
                                                   : make_sqlite_store(std::move(session));
    }

    // The projection, as ProjectionPlugin calls it.
    /// SQLite: no foreign-key checks, a memory map for the working set.
    static void configure_session(soci::session& session, sql::Backend backend);
    void prepare(std::span<const Event* const> events) { ids_ = &projection_.prepare(events); }
    /// Load the batch's posts (from known_, the rest from the store) and
    /// project; an event rejected against a post taken from known_ is
    /// checked against the database (known_ may lag behind a writer of
    /// another group), then the batch is projected again.
    const ChangeSet& project(Store& store, std::vector<Verdict>& verdicts);
    /// After a commit: the batch's posts as the database now holds them.
    void committed(const ChangeSet& changes, std::span<const Verdict> verdicts);
    void forget() noexcept override { known_.clear(); }

private:
    /// stored_ for `ids`: from known_, the rest from the store.
    void load_stored(Store& store, std::span<const std::string_view> ids);

    Projection projection_;

    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    /// Committed state of the posts of earlier batches, so that a batch
    /// looks up only posts it has not seen. A hint that can only lag behind
    /// the database: every write of a post is guarded by the version read
    /// here, and a stale one rolls the batch back (ConcurrentChange).
    /// Emptied on any failure, revocation or reconnection, and when full.
    std::unordered_map<std::string, StoredPost, TextHash, std::equal_to<>> known_;

    // Per-batch scratch, kept to reuse allocations.
    const std::vector<std::string_view>* ids_ = nullptr;  ///< the batch's posts (prepare())
    StoredPosts stored_;
    std::vector<bool> from_known_;  ///< per id: stored_ came from known_
    std::vector<std::string_view> lookup_ids_;
    std::vector<std::size_t> lookup_at_;
    StoredPosts looked_up_;
};

}  // namespace fanout::plugins::sql_read_model
