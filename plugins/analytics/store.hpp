#pragma once
// The analytics database as the plugin uses it: a connection, and one
// write transaction per batch (load posts, write deltas, advance
// checkpoints, commit). One implementation per backend.
//
// Threading: one Store per plugin instance, used from its pipeline thread.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <soci/soci.h>

#include "change_set.hpp"
#include "fanout/plugin.hpp"
#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/connection.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"
#include "settings.hpp"

namespace fanout::plugins::analytics {

/// A database call failed (server down, connection lost, lock timeout...).
using StoreError = sql::DatabaseError;
/// A version-guarded write found rows another writer changed since they were
/// loaded (a stale consumer of the same partition): roll back and retry.
using sql::ConcurrentChange;

class Store {
public:
    /// Connect, apply the session settings, create or migrate the schema.
    /// Throws std::exception (soci::soci_error, StoreError) on failure.
    static std::unique_ptr<Store> open(const Settings& settings);

    virtual ~Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    virtual sql::Backend backend() const noexcept = 0;

    /// next_offset per partition for `group` (k_no_checkpoint when none);
    /// creates the missing rows. Its own transaction. Throws on failure.
    std::vector<std::int64_t> load_checkpoints(std::string_view group, std::span<const TopicPartition> partitions) {
        return sql::load_checkpoints(*session_, k_checkpoint_table, group, partitions);
    }

    /// Start the batch's write transaction.
    virtual void begin() = 0;
    /// Stored state of `ids`: out[i] for ids[i] (`out` is resized and reset).
    virtual void load_posts(std::span<const std::string_view> ids, StoredPosts& out) = 0;
    /// Write the batch's changes. Throws ConcurrentChange when a guarded row moved.
    virtual void write(const ChangeSet& changes) = 0;
    /// Move each partition's checkpoint from `expected` to `next`. False when
    /// a row did not hold its expected offset (fenced); roll back then.
    virtual bool advance(std::string_view group, std::span<const CheckpointAdvance> advances) = 0;
    virtual void commit() = 0;
    /// Roll back the open transaction, if any. False when even that failed:
    /// the connection is gone, make a new Store.
    virtual bool rollback() noexcept = 0;
    /// False once the connection is known to be unusable.
    virtual bool usable() const noexcept = 0;

protected:
    explicit Store(std::unique_ptr<soci::session> session) : session_(std::move(session)) {}

    // Destroyed after the derived class's statements, which need it.
    std::unique_ptr<soci::session> session_;
};

}  // namespace fanout::plugins::analytics
