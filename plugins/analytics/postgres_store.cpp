// PostgreSQL: one statement per kind of row change per batch (a column array per
// parameter, unnested server-side), prepared once per connection.
#include "change_set.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"

#include <string>

namespace fanout::plugins::analytics {
namespace {

// Each post, author and day appears once per statement (the ChangeSet folds
// a batch), so ON CONFLICT never meets the same row twice. Guarded writes
// compare applied_version and the caller counts the rows.
constexpr sql::PreparedSql k_load{
    "fanout_an_load",
    "SELECT u.i, p.applied_version, p.removed, p.author FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)"
    " JOIN analytics_posts p ON p.post_id = u.id"};
constexpr sql::PreparedSql k_insert_posts{
    "fanout_an_insert_posts",
    "INSERT INTO analytics_posts (post_id, author, day_posted, likes, applied_version, removed)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[])"};
constexpr sql::PreparedSql k_update_posts{
    "fanout_an_update_posts",
    "UPDATE analytics_posts AS p SET likes = p.likes + u.likes, applied_version = u.version,"
    " removed = GREATEST(p.removed, u.removed)"
    " FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[])"
    " AS u(post_id, likes, version, expected, removed)"
    " WHERE p.post_id = u.post_id AND p.applied_version = u.expected"};
constexpr sql::PreparedSql k_add_authors{
    "fanout_an_add_authors",
    "INSERT INTO analytics_authors (author, posts, comments, likes_received)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"
    " ON CONFLICT (author) DO UPDATE SET posts = analytics_authors.posts + EXCLUDED.posts,"
    " comments = analytics_authors.comments + EXCLUDED.comments,"
    " likes_received = analytics_authors.likes_received + EXCLUDED.likes_received"};
constexpr sql::PreparedSql k_add_days{
    "fanout_an_add_days",
    "INSERT INTO analytics_days (day, posts, comments, likes)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"
    " ON CONFLICT (day) DO UPDATE SET posts = analytics_days.posts + EXCLUDED.posts,"
    " comments = analytics_days.comments + EXCLUDED.comments, likes = analytics_days.likes + EXCLUDED.likes"};

constexpr const sql::PreparedSql* k_all[] = {&k_load, &k_insert_posts, &k_update_posts, &k_add_authors, &k_add_days};

class PostgresStore final : public sql::PostgresBatchStore<Store> {
public:
    explicit PostgresStore(std::unique_ptr<soci::session> session)
        : sql::PostgresBatchStore<Store>(std::move(session), k_checkpoint_table, "fanout_an_advance") {
        for (const sql::PreparedSql* p : k_all) db_.prepare(*p);
    }

    void load(std::span<const std::string_view> ids, StoredPosts& out) override {
        out.assign(ids.size(), std::nullopt);
        db_.lookup(k_load, ids, [&](std::size_t i, const auto& r, int row) {
            out[i] = StoredPost{db_.text(r, row, 2) == "1", db_.integer(r, row, 1), std::string(db_.text(r, row, 3))};
        });
    }

    void write(const ChangeSet& changes) override {
        db_.run_columns(k_insert_posts, changes.new_posts, &NewPost::post_id, &NewPost::author, &NewPost::day_posted,
                        &NewPost::likes, &NewPost::version, &NewPost::removed);
        if (db_.run_columns(k_update_posts, changes.post_updates, &PostUpdate::post_id, &PostUpdate::likes_added,
                            &PostUpdate::version, &PostUpdate::expected_version, &PostUpdate::removed) !=
            static_cast<long>(changes.post_updates.size())) {
            throw sql::ConcurrentChange("posts changed meanwhile");
        }
        db_.run_columns(k_add_authors, changes.authors, &AuthorDelta::author, &AuthorDelta::posts, &AuthorDelta::comments,
                        &AuthorDelta::likes_received);
        db_.run_columns(k_add_days, changes.days, &DayDelta::day, &DayDelta::posts, &DayDelta::comments,
                        &DayDelta::likes);
    }
};

}  // namespace

std::unique_ptr<Store> make_postgres_store(std::unique_ptr<soci::session> session) {
    return std::make_unique<PostgresStore>(std::move(session));
}

}  // namespace fanout::plugins::analytics
