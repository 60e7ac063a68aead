#include "read_model_db.hpp"

#include <cstdio>
#include <random>
#include <stdexcept>

#include "fanout/sql/generations.hpp"
#include "schema.hpp"
#include "test_env.hpp"

namespace fanout::test {
namespace {

bool is_url(const std::string& c) { return c.rfind("postgresql://", 0) == 0 || c.rfind("postgres://", 0) == 0; }

/// The server's connection string with a search_path of only `schema`.
std::string with_schema(const std::string& server, const std::string& schema) {
    if (is_url(server)) {
        return server + (server.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
    }
    return server + " options='-csearch_path=" + schema + "'";
}

}  // namespace

std::string backend_name(TestBackend backend) { return backend == TestBackend::sqlite ? "Sqlite" : "Postgres"; }

ReadModelDb::ReadModelDb(TestBackend backend, const std::filesystem::path& dir)
    : ReadModelDb(backend, backend == TestBackend::sqlite ? "sqlite:" + (dir / "read-model.db").string() : "",
                  backend == TestBackend::sqlite ? "" : postgres_server(), unique_name("pq", '_')) {}

ReadModelDb::ReadModelDb(TestBackend backend, std::string sqlite_connection, std::string admin_connection,
                         std::string pg_schema)
    : backend_(backend) {
    if (backend == TestBackend::sqlite) {
        connection_ = std::move(sqlite_connection);
    } else {
        admin_connection_ = std::move(admin_connection);
        pg_schema_ = std::move(pg_schema);
        soci::session admin;
        read_model::open_session(admin, admin_connection_);
        admin << "CREATE SCHEMA " + pg_schema_;
        connection_ = with_schema(admin_connection_, pg_schema_);
    }
    read_model::open_session(session_, connection_);
}

std::unique_ptr<ReadModelDb> ReadModelDb::generation(const std::string& component, int g) {
    // Where the projection engine puts it (fanout/sql/generations.hpp); not
    // make_unique: the constructor is private.
    return std::unique_ptr<ReadModelDb>(new ReadModelDb(
        backend_, backend_ == TestBackend::sqlite ? "sqlite:" + sql::generation_sqlite_file(connection_, g) : "",
        admin_connection_, backend_ == TestBackend::sqlite ? "" : sql::generation_schema(pg_schema_, component, g)));
}

void ReadModelDb::set_live(const std::string& component, int live) {
    session_ << "CREATE TABLE IF NOT EXISTS fanout_generations (component TEXT PRIMARY KEY, live INTEGER NOT NULL,"
                " building INTEGER, retired INTEGER, retire_after TEXT, switched_at TEXT)";
    session_ << "INSERT INTO fanout_generations (component, live) VALUES (:c, :l)"
                " ON CONFLICT (component) DO UPDATE SET live = excluded.live",
        soci::use(component), soci::use(live);
}

ReadModelDb::~ReadModelDb() {
    session_.close();
    if (backend_ != TestBackend::postgresql) return;
    try {
        soci::session admin;
        read_model::open_session(admin, admin_connection_);
        admin << "SET client_min_messages = warning";
        admin << "DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE";
    } catch (const std::exception& e) {
        std::fprintf(stderr, "warning: could not drop test schema %s: %s\n", pg_schema_.c_str(), e.what());
    }
}

void ReadModelDb::migrate() { read_model::migrate(session_); }

void ReadModelDb::add_post(const std::string& post_id, const std::string& author, const std::string& message,
                           const std::string& date_posted, std::int64_t likes) {
    const long long l = likes;
    session_ << "INSERT INTO posts (post_id, author, message, date_posted, likes, applied_version)"
                " VALUES (:id, :author, :message, :date, :likes, 1)",
        soci::use(post_id), soci::use(author), soci::use(message), soci::use(date_posted), soci::use(l);
}

void ReadModelDb::add_comment(const std::string& comment_id, const std::string& post_id, const std::string& username,
                              const std::string& comment, const std::string& comment_date, bool edited) {
    const int e = edited ? 1 : 0;
    session_ << "INSERT INTO comments (comment_id, post_id, username, comment, comment_date, edited)"
                " VALUES (:cid, :pid, :user, :comment, :date, :edited)",
        soci::use(comment_id), soci::use(post_id), soci::use(username), soci::use(comment), soci::use(comment_date),
        soci::use(e);
}

void ReadModelDb::remove_post(const std::string& post_id) {
    soci::transaction tx(session_);
    session_ << "DELETE FROM comments WHERE post_id = :id", soci::use(post_id);
    session_ << "DELETE FROM posts WHERE post_id = :id", soci::use(post_id);
    session_ << "INSERT INTO removed_posts (post_id, applied_version) VALUES (:id, 2)", soci::use(post_id);
    tx.commit();
}

int ReadModelDb::table_count() {
    int n = 0;
    if (backend_ == TestBackend::sqlite) {
        session_ << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", soci::into(n);
    } else {
        session_ << "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = :s", soci::use(pg_schema_),
            soci::into(n);
    }
    return n;
}

std::string random_uuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    const std::uint64_t hi = (rng() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
    const std::uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xFFFF), static_cast<unsigned long long>(hi & 0xFFFF),
                  static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
    return buf;
}

std::string test_date(int seconds) {
    const int day = seconds / 86400;
    const int rest = seconds % 86400;
    char buf[32];
    std::snprintf(buf, sizeof buf, "2024-01-%02dT%02d:%02d:%02d.000Z", 1 + day, rest / 3600, (rest / 60) % 60,
                  rest % 60);
    return buf;
}

}  // namespace fanout::test
