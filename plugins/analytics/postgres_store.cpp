#include "postgres_store.hpp"

#include <cstdlib>

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

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<soci::session> session)
    : sql::PostgresBatchStore<Store>(std::move(session), k_checkpoint_table, "fanout_an_advance") {
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
        out[static_cast<std::size_t>(index - 1)] = StoredPost{
            PQgetvalue(r.get(), row, 2)[0] == '1', std::strtoll(PQgetvalue(r.get(), row, 1), nullptr, 10),
            std::string(PQgetvalue(r.get(), row, 3), static_cast<std::size_t>(PQgetlength(r.get(), row, 3)))};
    }
}

void PostgresStore::write(const ChangeSet& changes) {
    auto reset = [this](int columns) {
        for (int i = 0; i < columns; ++i) a_[i].clear();
    };
    if (!changes.new_posts.empty()) {
        reset(6);
        for (const NewPost& p : changes.new_posts) {
            a_[0].add(p.post_id);
            a_[1].add(p.author);
            a_[2].add(p.day_posted);
            a_[3].add(p.likes);
            a_[4].add(p.version);
            a_[5].add(std::int64_t{p.removed ? 1 : 0});
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
            a_[1].add(p.likes_added);
            a_[2].add(p.version);
            a_[3].add(p.expected_version);
            a_[4].add(std::int64_t{p.removed ? 1 : 0});
        }
        const sql::PostgresConnection::Result r =
            db_.run(k_update_posts.name,
                    {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal(), &a_[4].literal()},
                    PGRES_COMMAND_OK);
        if (sql::PostgresConnection::affected(r) != static_cast<long>(changes.post_updates.size())) {
            throw ConcurrentChange("posts changed meanwhile");
        }
    }
    if (!changes.authors.empty()) {
        reset(4);
        for (const AuthorDelta& a : changes.authors) {
            a_[0].add(a.author);
            a_[1].add(a.posts);
            a_[2].add(a.comments);
            a_[3].add(a.likes_received);
        }
        db_.run(k_add_authors.name, {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
                PGRES_COMMAND_OK);
    }
    if (!changes.days.empty()) {
        reset(4);
        for (const DayDelta& d : changes.days) {
            a_[0].add(d.day);
            a_[1].add(d.posts);
            a_[2].add(d.comments);
            a_[3].add(d.likes);
        }
        db_.run(k_add_days.name, {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
                PGRES_COMMAND_OK);
    }
}

}  // namespace fanout::plugins::analytics
