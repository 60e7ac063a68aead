#include "postgres_store.hpp"

#include <soci/postgresql/soci-postgresql.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace fanout::plugins::analytics {
namespace {

struct PreparedSql {
    const char* name;
    const char* sql;
};

// Each post, author and day appears once per statement (the ChangeSet folds
// a batch), so ON CONFLICT never meets the same row twice. Guarded writes
// compare applied_version and the caller counts the rows.
constexpr PreparedSql k_load{
    "fanout_an_load",
    "SELECT u.i, p.applied_version, p.removed, p.author FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)"
    " JOIN analytics_posts p ON p.post_id = u.id"};
constexpr PreparedSql k_insert_posts{
    "fanout_an_insert_posts",
    "INSERT INTO analytics_posts (post_id, author, day_posted, likes, applied_version, removed)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[])"};
constexpr PreparedSql k_update_posts{
    "fanout_an_update_posts",
    "UPDATE analytics_posts AS p SET likes = p.likes + u.likes, applied_version = u.version,"
    " removed = GREATEST(p.removed, u.removed)"
    " FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[])"
    " AS u(post_id, likes, version, expected, removed)"
    " WHERE p.post_id = u.post_id AND p.applied_version = u.expected"};
constexpr PreparedSql k_add_authors{
    "fanout_an_add_authors",
    "INSERT INTO analytics_authors (author, posts, comments, likes_received)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"
    " ON CONFLICT (author) DO UPDATE SET posts = analytics_authors.posts + EXCLUDED.posts,"
    " comments = analytics_authors.comments + EXCLUDED.comments,"
    " likes_received = analytics_authors.likes_received + EXCLUDED.likes_received"};
constexpr PreparedSql k_add_days{
    "fanout_an_add_days",
    "INSERT INTO analytics_days (day, posts, comments, likes)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"
    " ON CONFLICT (day) DO UPDATE SET posts = analytics_days.posts + EXCLUDED.posts,"
    " comments = analytics_days.comments + EXCLUDED.comments, likes = analytics_days.likes + EXCLUDED.likes"};
constexpr PreparedSql k_advance{
    "fanout_an_advance",
    "UPDATE analytics_checkpoints AS c SET next_offset = u.next"
    " FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS u(topic, partition_id, expected, next)"
    " WHERE c.consumer_group = $1 AND c.topic = u.topic AND c.partition_id = u.partition_id"
    " AND c.next_offset = u.expected"};

constexpr const PreparedSql* k_all[] = {&k_load,        &k_insert_posts, &k_update_posts,
                                        &k_add_authors, &k_add_days,     &k_advance};

std::string trimmed(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<soci::session> session)
    : Store(std::move(session)), conn_(static_cast<soci::postgresql_session_backend*>(session_->get_backend())->conn_) {
    for (const PreparedSql* p : k_all) {
        check(PQprepare(conn_, p->name, p->sql, 0, nullptr), PGRES_COMMAND_OK, p->name);
    }
}

PostgresStore::Result PostgresStore::check(PGresult* raw, ExecStatusType expected, const char* what) {
    Result result(raw);
    if (result && PQresultStatus(result.get()) == expected) return result;
    std::string message = "postgresql: " + std::string(what) + ": ";
    if (result) {
        message += trimmed(PQresultErrorMessage(result.get()));
        if (const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE)) {
            message += std::string(" (sqlstate ") + state + ")";
        }
    } else {
        message += trimmed(PQerrorMessage(conn_));
    }
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    throw StoreError(message);
}

PostgresStore::Result PostgresStore::run(const char* name, std::initializer_list<const std::string*> params,
                                         ExecStatusType expected) {
    const char* values[8];
    int n = 0;
    for (const std::string* p : params) values[n++] = p->c_str();
    return check(PQexecPrepared(conn_, name, n, values, nullptr, nullptr, 0), expected, name);
}

PostgresStore::Result PostgresStore::exec(const char* sql, ExecStatusType expected) {
    return check(PQexec(conn_, sql), expected, sql);
}

long PostgresStore::affected(const Result& result) { return std::strtol(PQcmdTuples(result.get()), nullptr, 10); }

bool PostgresStore::usable() const noexcept { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

void PostgresStore::begin() { exec("BEGIN", PGRES_COMMAND_OK); }

void PostgresStore::load_posts(std::span<const std::string_view> ids, StoredPosts& out) {
    out.assign(ids.size(), std::nullopt);
    if (ids.empty()) return;
    PgArray& array = a_[0];
    array.clear();
    for (const std::string_view id : ids) array.add(id);
    const Result r = run(k_load.name, {&array.literal()}, PGRES_TUPLES_OK);
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
        run(k_insert_posts.name,
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
        const Result r = run(k_update_posts.name,
                             {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal(), &a_[4].literal()},
                             PGRES_COMMAND_OK);
        if (affected(r) != static_cast<long>(changes.post_updates.size())) {
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
        run(k_add_authors.name, {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
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
        run(k_add_days.name, {&a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
            PGRES_COMMAND_OK);
    }
}

bool PostgresStore::advance(std::string_view group, std::span<const CheckpointAdvance> advances) {
    if (advances.empty()) return true;
    group_.assign(group);
    for (int i = 0; i < 4; ++i) a_[i].clear();
    for (const CheckpointAdvance& a : advances) {
        a_[0].add(a.topic);
        a_[1].add(std::int64_t{a.partition});
        a_[2].add(a.expected);
        a_[3].add(a.next);
    }
    const Result r =
        run(k_advance.name, {&group_, &a_[0].literal(), &a_[1].literal(), &a_[2].literal(), &a_[3].literal()},
            PGRES_COMMAND_OK);
    return affected(r) == static_cast<long>(advances.size());
}

void PostgresStore::commit() {
    const Result r = exec("COMMIT", PGRES_COMMAND_OK);
    // COMMIT of a failed transaction "succeeds" as ROLLBACK.
    if (std::strcmp(PQcmdStatus(r.get()), "COMMIT") != 0) throw StoreError("postgresql: transaction rolled back");
}

bool PostgresStore::rollback() noexcept {
    switch (PQtransactionStatus(conn_)) {
        case PQTRANS_IDLE: return usable();
        case PQTRANS_UNKNOWN:
        case PQTRANS_ACTIVE: broken_ = true; return false;
        default: break;
    }
    PGresult* r = PQexec(conn_, "ROLLBACK");
    const bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) broken_ = true;
    return ok && usable();
}

}  // namespace fanout::plugins::analytics
