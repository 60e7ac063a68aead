#include "postgres_store.hpp"

#include <cstdlib>

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

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<soci::session> session)
    : sql::PostgresBatchStore<Store>(std::move(session), read_model::k_checkpoint_table, "fanout_rm_advance") {
    for (const sql::PreparedSql* p : k_all) db_.prepare(*p);
}

void PostgresStore::load(std::span<const std::string_view> ids, StoredPosts& out) {
    out.assign(ids.size(), std::nullopt);
    if (ids.empty()) return;
    sql::PgArray& array = a_[0];
    array.clear();
    for (const std::string_view id : ids) array.add(id);
    const sql::PostgresConnection::Result r = db_.run(k_load.name, {&array.literal()}, PGRES_TUPLES_OK);
    for (int row = 0, rows = PQntuples(r.get()); row < rows; ++row) {
        const long index = std::strtol(PQgetvalue(r.get(), row, 0), nullptr, 10);
        if (index < 1 || static_cast<std::size_t>(index) > ids.size()) throw StoreError("postgresql: bad row index");
        out[static_cast<std::size_t>(index - 1)] =
            StoredPost{PQgetvalue(r.get(), row, 2)[0] == '1', std::strtoll(PQgetvalue(r.get(), row, 1), nullptr, 10)};
    }
}

void PostgresStore::write(const ChangeSet& changes) {
    auto reset = [this](int columns) {
        for (int i = 0; i < columns; ++i) a_[i].clear();
    };
    if (!changes.comment_deletions.empty()) {
        reset(2);
        for (const CommentDeletion& c : changes.comment_deletions) {
            a_[0].add(c.comment_id);
            a_[1].add(c.post_id);
        }
        db_.run(k_delete_comments.name, {&a_[0].literal(), &a_[1].literal()}, PGRES_COMMAND_OK);
    }
    if (!changes.post_deletions.empty()) {
        reset(2);
        for (const PostDeletion& p : changes.post_deletions) {
            a_[0].add(p.post_id);
            a_[1].add(p.expected_version);
        }
        const std::string& ids = a_[0].literal();
        db_.run(k_delete_post_comments.name, {&ids}, PGRES_COMMAND_OK);
        const sql::PostgresConnection::Result r =
            db_.run(k_delete_posts.name, {&ids, &a_[1].literal()}, PGRES_COMMAND_OK);
        if (sql::PostgresConnection::affected(r) != static_cast<long>(changes.post_deletions.size())) {
            throw ConcurrentChange("removed posts changed meanwhile");
        }
    }
    if (!changes.new_posts.empty()) {
        reset(6);
        for (const NewPost& p : changes.new_posts) {
            a_[0].add(p.post_id);
            a_[1].add(p.author);
            a_[2].add(p.message);
            a_[3].add(p.date_posted);
            a_[4].add(p.likes);
            a_[5].add(p.version);
        }
        db_.run(k_insert_posts.name,
                {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal(), &a_[4].literal(),
                 &a_[5].literal()},
                PGRES_COMMAND_OK);
    }
    if (!changes.post_updates.empty()) {
        reset(5);
        for (const PostUpdate& p : changes.post_updates) {
            a_[0].add(p.post_id);
            a_[1].add(p.message);
            a_[2].add(p.likes_added);
            a_[3].add(p.version);
            a_[4].add(p.expected_version);
        }
        const sql::PostgresConnection::Result r =
            db_.run(k_update_posts.name,
                    {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal(), &a_[4].literal()},
                    PGRES_COMMAND_OK);
        if (sql::PostgresConnection::affected(r) != static_cast<long>(changes.post_updates.size())) {
            throw ConcurrentChange("posts changed meanwhile");
        }
    }
    if (!changes.comment_upserts.empty()) {
        reset(6);
        for (const CommentUpsert& c : changes.comment_upserts) {
            a_[0].add(c.comment_id);
            a_[1].add(c.post_id);
            a_[2].add(c.username);
            a_[3].add(c.comment);
            a_[4].add(c.comment_date);
            a_[5].add(std::int64_t{c.edited ? 1 : 0});
        }
        db_.run(k_upsert_comments.name,
                {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal(), &a_[4].literal(),
                 &a_[5].literal()},
                PGRES_COMMAND_OK);
    }
    if (!changes.comment_updates.empty()) {
        reset(4);
        for (const CommentUpdate& c : changes.comment_updates) {
            a_[0].add(c.comment_id);
            a_[1].add(c.post_id);
            a_[2].add(c.comment);
            a_[3].add(c.comment_date);
        }
        db_.run(k_update_comments.name, {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
                PGRES_COMMAND_OK);
    }
    if (!changes.tombstones.empty()) {
        reset(2);
        for (const Tombstone& t : changes.tombstones) {
            a_[0].add(t.post_id);
            a_[1].add(t.version);
        }
        db_.run(k_insert_tombstones.name, {&a_[0].literal(), &a_[1].literal()}, PGRES_COMMAND_OK);
    }
}

}  // namespace fanout::plugins::sql_read_model
