#pragma once
// The analytics database as the plugin uses it: one write transaction per batch
// (load posts, write deltas, advance checkpoints, commit; fanout/sql/batch_store.hpp).
// One implementation per backend.
//
// Threading: one Store per plugin instance, used from its pipeline thread.
#include <memory>
#include <span>
#include <string_view>

#include <soci/soci.h>

#include "change_set.hpp"
#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"
#include "settings.hpp"

namespace fanout::plugins::analytics {

/// A database call failed (server down, connection lost, lock timeout...).
using StoreError = sql::DatabaseError;
/// A version-guarded write found rows another writer changed since they were
/// loaded (a stale consumer of the same partition): roll back and retry.
using sql::ConcurrentChange;

class Store : public sql::BatchStore {
public:
    /// Connect, apply the session settings, create or migrate the tables.
    /// Throws std::exception (soci::soci_error, StoreError) on failure.
    static std::unique_ptr<Store> open(const Settings& settings);

    /// Stored state of `ids`: out[i] for ids[i] (`out` is resized and reset).
    virtual void load_posts(std::span<const std::string_view> ids, StoredPosts& out) = 0;
    /// Write the batch's changes. Throws ConcurrentChange when a guarded row moved.
    virtual void write(const ChangeSet& changes) = 0;

protected:
    explicit Store(std::unique_ptr<soci::session> session) : BatchStore(std::move(session), k_checkpoint_table) {}
};

}  // namespace fanout::plugins::analytics
