// like_counter: the likes of each post, exactly once, in SQLite or PostgreSQL.
// A complete projection on Fanout's SQL projection engine (docs/plugins.md,
// "Writing an exactly-once SQL projection"): the engine owns the connection,
// the migrations, the checkpoints in each batch's transaction and the
// retries; this file says what the tables are and what a batch writes.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fanout/fanout.hpp>
#include <fanout/sql/projection_plugin.hpp>

namespace like_counter {

using namespace fanout;

/// What one batch writes: likes to add, per post.
using Likes = std::vector<std::pair<std::string_view, std::int64_t>>;
/// Nothing to read before writing: counters only add.
using Store = sql::ChangeStore<Likes>;

constexpr const char* k_checkpoints = "like_counter_checkpoints";

/// The projection's tables. Migrations are appended, never edited; the
/// engine applies the missing ones once, in order, and records them.
const sql::Schema k_schema{
    "like_counter",
    {
        {"likes per post, checkpoints",
         {"CREATE TABLE like_counts (post_id TEXT PRIMARY KEY, likes BIGINT NOT NULL)",
          sql::checkpoint_table_ddl(k_checkpoints)}},
    },
};

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    explicit SqliteStore(std::unique_ptr<soci::session> session)
        : sql::SqliteBatchStore<Store>(std::move(session), k_checkpoints),
          add_(db_.prepare("INSERT INTO like_counts (post_id, likes) VALUES (?1, ?2)"
                           " ON CONFLICT (post_id) DO UPDATE SET likes = likes + excluded.likes")) {}

    void write(const Likes& likes) override {
        for (const auto& [post, n] : likes) db_.run(add_.get(), post, n);
    }

private:
    sql::SqliteConnection::Statement add_;
};

constexpr sql::PreparedSql k_add{
    "like_counter_add",
    "INSERT INTO like_counts (post_id, likes) SELECT * FROM unnest($1::text[], $2::bigint[])"
    " ON CONFLICT (post_id) DO UPDATE SET likes = like_counts.likes + EXCLUDED.likes"};

class PostgresStore final : public sql::PostgresBatchStore<Store> {
public:
    explicit PostgresStore(std::unique_ptr<soci::session> session)
        : sql::PostgresBatchStore<Store>(std::move(session), k_checkpoints, "like_counter_advance") {
        db_.prepare(k_add);
    }

    /// One statement for the whole batch: a column array per parameter.
    void write(const Likes& likes) override {
        db_.run_columns(k_add, likes, &Likes::value_type::first, &Likes::value_type::second);
    }
};

class LikeCounter final : public sql::ProjectionPlugin<LikeCounter> {
public:
    using Store = like_counter::Store;
    using SqliteStore = like_counter::SqliteStore;
    using PostgresStore = like_counter::PostgresStore;

    LikeCounter(sql::ConnectionSettings database, Context& context)
        : ProjectionPlugin(std::move(database), context, "like counter", k_schema) {}

    /// The batch's events the engine did not see committed before.
    void prepare(std::span<const Event* const> events) { events_ = events; }

    /// In the batch's transaction: a verdict per event and the batch's
    /// changes. A rejected event goes to the dead-letter topic.
    const Likes& project(Store&, std::vector<sql::Verdict>& verdicts) {
        verdicts.assign(events_.size(), {});
        totals_.clear();
        for (std::size_t i = 0; i < events_.size(); ++i) {
            const Event& e = *events_[i];
            if (e.type() != "PostLikedEvent") {
                verdicts[i].kind = sql::Verdict::Kind::ignored;
            } else if (e.aggregate_id().empty()) {
                verdicts[i] = {sql::Verdict::Kind::rejected, "a like without a post id"};
            } else {
                ++totals_[e.aggregate_id()];
            }
        }
        likes_.assign(totals_.begin(), totals_.end());
        return likes_;
    }

private:
    std::span<const Event* const> events_;
    std::unordered_map<std::string_view, std::int64_t> totals_;
    Likes likes_;
};

constexpr auto k_options = sql::database_options("sqlite:/path/file.db, or a PostgreSQL URL or conninfo");

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor = sql::projection_descriptor<LikeCounter>(
    "like_counter", "1.0.0", "likes per post in SQL, exactly once", k_options);

}  // namespace like_counter

FANOUT_EXPORT_PLUGIN(like_counter::descriptor)
