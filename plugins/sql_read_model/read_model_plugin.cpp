// The sql_read_model plugin: its batch on the projection engine, its options and exported descriptor.
#include "read_model_plugin.hpp"

#include <cstdint>
#include <utility>

namespace fanout::plugins::sql_read_model {
namespace {

/// Most posts known_ holds (about 100 bytes each) before it starts over.
constexpr std::size_t k_known_posts_limit = 500'000;

constexpr auto k_options = sql::database_options(
    "read model database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
    "\"host=... dbname=...\"");

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor = sql::projection_descriptor<ReadModelPlugin>(
    "sql_read_model", "1.0.0",
    "projects post events into the SQL read model (SQLite or PostgreSQL) with an exactly-once effect", k_options);

ReadModelPlugin::ReadModelPlugin(sql::ConnectionSettings database, Context& context)
    : ProjectionPlugin(std::move(database), context, "read model", read_model::schema()) {}

void ReadModelPlugin::configure_session(soci::session& session, sql::Backend backend) {
    if (backend != sql::Backend::sqlite) return;
    // The plugin's writes keep the comments' foreign key by construction:
    // every batch that adds a comment also inserts its post or moves the
    // post's version under a guard (a post gone meanwhile rolls the batch
    // back), and a removed post's comments are deleted before the post. The
    // check would cost a posts lookup per added comment.
    session << "PRAGMA foreign_keys = OFF";
    // Batches touch pages all over the posts and comments b-trees: mmap that
    // holds the working set avoids a read() per page (sql::connect sizes the
    // page cache).
    session << "PRAGMA mmap_size = 268435456";
}

void ReadModelPlugin::load_stored(Store& store, std::span<const std::string_view> ids) {
    stored_.assign(ids.size(), std::nullopt);
    from_known_.assign(ids.size(), false);
    lookup_ids_.clear();
    lookup_at_.clear();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (const auto it = known_.find(ids[i]); it != known_.end()) {
            stored_[i] = it->second;
            from_known_[i] = true;
        } else {
            lookup_ids_.push_back(ids[i]);
            lookup_at_.push_back(i);
        }
    }
    if (lookup_ids_.empty()) return;
    store.load(lookup_ids_, looked_up_);
    for (std::size_t k = 0; k < lookup_at_.size(); ++k) stored_[lookup_at_[k]] = looked_up_[k];
}

const ChangeSet& ReadModelPlugin::project(Store& store, std::vector<Verdict>& verdicts) {
    const std::vector<std::string_view>& ids = *ids_;
    load_stored(store, ids);
    const ChangeSet* changes = &projection_.project(stored_, verdicts);
    lookup_ids_.clear();
    lookup_at_.clear();
    for (std::size_t k = 0; k < verdicts.size(); ++k) {
        if (verdicts[k].kind != Verdict::Kind::rejected) continue;
        const std::size_t post = projection_.post_of(k);
        if (post == SIZE_MAX || !from_known_[post]) continue;
        from_known_[post] = false;
        lookup_ids_.push_back(ids[post]);
        lookup_at_.push_back(post);
    }
    if (lookup_ids_.empty()) return *changes;
    store.load(lookup_ids_, looked_up_);
    for (std::size_t k = 0; k < lookup_at_.size(); ++k) stored_[lookup_at_[k]] = looked_up_[k];
    return projection_.project(stored_, verdicts);
}

void ReadModelPlugin::committed(const ChangeSet& changes, std::span<const Verdict>) {
    const std::size_t adding = changes.new_posts.size() + changes.tombstones.size();
    if (known_.size() + adding > k_known_posts_limit) known_.clear();
    const auto set = [this](std::string_view id, StoredPost post) {
        if (const auto it = known_.find(id); it != known_.end()) {
            it->second = post;
        } else {
            known_.emplace(std::string(id), post);
        }
    };
    for (const NewPost& p : changes.new_posts) set(p.post_id, {false, p.version});
    for (const PostUpdate& p : changes.post_updates) set(p.post_id, {false, p.version});
    for (const Tombstone& t : changes.tombstones) set(t.post_id, {true, t.version});
}

}  // namespace fanout::plugins::sql_read_model

FANOUT_EXPORT_PLUGIN(fanout::plugins::sql_read_model::descriptor)
