// The read model on PostgreSQL: each kind of row change is one prepared
// statement per batch over column arrays (unnest), so a batch costs a few round trips.
#include "change_set.hpp"
#include "fanout/sql/errors.hpp"
#include "schema.hpp"

namespace fanout::plugins::sql_read_model {
namespace {

// Each post / comment id appears once per statement (the ChangeSet folds a
// batch), so ON CONFLICT never meets the same row twice. Guarded writes
// compare applied_version and the caller counts the rows.
constexpr sql::PreparedSql k_load{
    "fanout_rm_load",
    "SELECT u.i, p.applied_version, 0 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)"
    " JOIN posts p ON p.post_id = u.id"
    " UNION ALL SELECT u.i, r.applied_version, 1 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)"
    " JOIN removed_posts r ON r.post_id = u.id"};
constexpr sql::PreparedSql k_delete_comments{
    "fanout_rm_delete_comments",
    "DELETE FROM comments c USING unnest($1::text[], $2::text[]) AS u(comment_id, post_id)"
    " WHERE c.comment_id = u.comment_id AND c.post_id = u.post_id"};
constexpr sql::PreparedSql k_delete_post_comments{"fanout_rm_delete_post_comments",
                                                  "DELETE FROM comments WHERE post_id = ANY($1::text[])"};
constexpr sql::PreparedSql k_delete_posts{
    "fanout_rm_delete_posts",
    "DELETE FROM posts p USING unnest($1::text[], $2::bigint[]) AS u(post_id, expected)"
    " WHERE p.post_id = u.post_id AND p.applied_version = u.expected"};
constexpr sql::PreparedSql k_insert_posts{
    "fanout_rm_insert_posts",
    "INSERT INTO posts (post_id, author, message, date_posted, likes, applied_version)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])"};
constexpr sql::PreparedSql k_update_posts{
    "fanout_rm_update_posts",
    "UPDATE posts AS p SET message = COALESCE(u.message, p.message), likes = p.likes + u.likes,"
    " applied_version = u.version"
    " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])"
    " AS u(post_id, message, likes, version, expected)"
    " WHERE p.post_id = u.post_id AND p.applied_version = u.expected"};
constexpr sql::PreparedSql k_upsert_comments{
    "fanout_rm_upsert_comments",
    "INSERT INTO comments (comment_id, post_id, username, comment, comment_date, edited)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[])"
    " ON CONFLICT (comment_id) DO UPDATE SET username = EXCLUDED.username, comment = EXCLUDED.comment,"
    " comment_date = EXCLUDED.comment_date, edited = EXCLUDED.edited WHERE comments.post_id = EXCLUDED.post_id"};
constexpr sql::PreparedSql k_update_comments{
    "fanout_rm_update_comments",
    "UPDATE comments AS c SET comment = u.comment, comment_date = u.comment_date, edited = 1"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(comment_id, post_id, comment, comment_date)"
    " WHERE c.comment_id = u.comment_id AND c.post_id = u.post_id"};
constexpr sql::PreparedSql k_insert_tombstones{
    "fanout_rm_insert_tombstones",
    "INSERT INTO removed_posts (post_id, applied_version) SELECT * FROM unnest($1::text[], $2::bigint[])"};

constexpr const sql::PreparedSql* k_all[] = {
    &k_load,         &k_delete_comments, &k_delete_post_comments, &k_delete_posts,     &k_insert_posts,
    &k_update_posts, &k_upsert_comments, &k_update_comments,      &k_insert_tombstones};

class PostgresStore final : public sql::PostgresBatchStore<Store> {
public:
    explicit PostgresStore(std::unique_ptr<soci::session> session)
        : sql::PostgresBatchStore<Store>(std::move(session), read_model::k_checkpoint_table, "fanout_rm_advance") {
        for (const sql::PreparedSql* p : k_all) db_.prepare(*p);
    }

    void load(std::span<const std::string_view> ids, StoredPosts& out) override {
        out.assign(ids.size(), std::nullopt);
        db_.lookup(k_load, ids, [&](std::size_t i, const auto& r, int row) {
            out[i] = StoredPost{db_.text(r, row, 2) == "1", db_.integer(r, row, 1)};
        });
    }

    void write(const ChangeSet& changes) override {
        const auto all = [](long rows, std::size_t expected) { return rows == static_cast<long>(expected); };
        db_.run_columns(k_delete_comments, changes.comment_deletions, &CommentDeletion::comment_id,
                        &CommentDeletion::post_id);
        db_.run_columns(k_delete_post_comments, changes.post_deletions, &PostDeletion::post_id);
        if (!all(db_.run_columns(k_delete_posts, changes.post_deletions, &PostDeletion::post_id,
                                 &PostDeletion::expected_version),
                 changes.post_deletions.size())) {
            throw sql::ConcurrentChange("removed posts changed meanwhile");
        }
        db_.run_columns(k_insert_posts, changes.new_posts, &NewPost::post_id, &NewPost::author, &NewPost::message,
                        &NewPost::date_posted, &NewPost::likes, &NewPost::version);
        if (!all(db_.run_columns(k_update_posts, changes.post_updates, &PostUpdate::post_id, &PostUpdate::message,
                                 &PostUpdate::likes_added, &PostUpdate::version, &PostUpdate::expected_version),
                 changes.post_updates.size())) {
            throw sql::ConcurrentChange("posts changed meanwhile");
        }
        db_.run_columns(k_upsert_comments, changes.comment_upserts, &CommentUpsert::comment_id, &CommentUpsert::post_id,
                        &CommentUpsert::username, &CommentUpsert::comment, &CommentUpsert::comment_date,
                        &CommentUpsert::edited);
        db_.run_columns(k_update_comments, changes.comment_updates, &CommentUpdate::comment_id, &CommentUpdate::post_id,
                        &CommentUpdate::comment, &CommentUpdate::comment_date);
        db_.run_columns(k_insert_tombstones, changes.tombstones, &Tombstone::post_id, &Tombstone::version);
    }
};

}  // namespace

std::unique_ptr<Store> make_postgres_store(std::unique_ptr<soci::session> session) {
    return std::make_unique<PostgresStore>(std::move(session));
}

}  // namespace fanout::plugins::sql_read_model
