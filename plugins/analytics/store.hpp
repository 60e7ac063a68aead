#pragma once
// The analytics database as the plugin uses it: one write transaction per batch
// (load posts, write deltas, advance checkpoints, commit; fanout/sql/batch_store.hpp).
// One implementation per backend.
//
// Threading: one Store per plugin instance, used from its pipeline thread.
#include <memory>

#include "change_set.hpp"
#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"

namespace fanout::plugins::analytics {

/// A database call failed (server down, connection lost, lock timeout...).
using StoreError = sql::DatabaseError;
/// A version-guarded write found rows another writer changed since they were
/// loaded (a stale consumer of the same partition): roll back and retry.
using sql::ConcurrentChange;

/// load(): the stored state of the batch's posts; write(): its ChangeSet.
using Store = sql::ProjectionStore<StoredPosts, ChangeSet>;

}  // namespace fanout::plugins::analytics
