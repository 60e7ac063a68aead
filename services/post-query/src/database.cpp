#include "database.hpp"

#include <regex>
#include <stdexcept>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "schema.hpp"

namespace fanout::post_query {
namespace {

constexpr int k_sqlite_busy_timeout_s = 5;
constexpr const char* k_pg_statement_timeout = "SET statement_timeout = 10000";  // ms
constexpr const char* k_pg_connect_timeout_s = "5";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool is_postgres_url(const std::string& c) { return starts_with(c, "postgresql://") || starts_with(c, "postgres://"); }

/// libpq waits forever for an unreachable host by default; a worker must not.
std::string with_connect_timeout(const std::string& spec) {
    if (spec.find("connect_timeout") != std::string::npos) return spec;
    if (is_postgres_url(spec)) {
        return spec + (spec.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + k_pg_connect_timeout_s;
    }
    return spec + " connect_timeout=" + k_pg_connect_timeout_s;
}

/// SOCI's sqlite3 connect string takes `key=value` pairs; quote the path so
/// spaces survive.
std::string sqlite_connect_string(const std::string& path) {
    std::string quoted = "\"";
    for (const char c : path) {
        if (c == '"') throw soci::soci_error("SQLite path must not contain '\"': " + path);
        quoted += c;
    }
    quoted += '"';
    return "db=" + quoted + " timeout=" + std::to_string(k_sqlite_busy_timeout_s) + " readonly=1";
}

}  // namespace

ConnectionTarget parse_connection(const std::string& connection) {
    // The plugin's rule, so --migrate and the read sessions never disagree.
    if (read_model::is_postgresql(connection)) return {Backend::postgresql, connection};
    std::string path = connection;
    for (const char* prefix : {"sqlite3://", "sqlite://", "sqlite3:", "sqlite:"}) {
        if (starts_with(path, prefix)) {
            path = path.substr(std::string(prefix).size());
            break;
        }
    }
    if (path.empty()) throw std::invalid_argument("empty SQLite database path in '" + connection + "'");
    return {Backend::sqlite, path};
}

std::string redact(const std::string& connection) {
    static const std::regex url_password(R"(^(postgres(?:ql)?://[^:/@]*:)[^@]*@)");
    static const std::regex conninfo_password(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))");
    std::string out = std::regex_replace(connection, url_password, "$1***@");
    return std::regex_replace(out, conninfo_password, "$1***");
}

void open_read_session(soci::session& session, const ConnectionTarget& target) {
    if (target.backend == Backend::postgresql) {
        session.open(soci::postgresql, with_connect_timeout(target.spec));
        try {
            session << "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY";
            session << k_pg_statement_timeout;
        } catch (...) {
            session.close();
            throw;
        }
        return;
    }
    session.open(soci::sqlite3, sqlite_connect_string(target.spec));
}

SessionPool::SessionPool(ConnectionTarget target, std::size_t size, std::chrono::milliseconds wait)
    : target_(std::move(target)), size_(size), wait_(wait), pool_(size) {}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), position_(other.position_), discard_(other.discard_) {
    other.pool_ = nullptr;
}

SessionPool::Lease& SessionPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        give_back();
        pool_ = other.pool_;
        position_ = other.position_;
        discard_ = other.discard_;
        other.pool_ = nullptr;
    }
    return *this;
}

SessionPool::Lease::~Lease() { give_back(); }

void SessionPool::Lease::give_back() noexcept {
    if (pool_ == nullptr) return;
    if (discard_) {
        try {
            pool_->pool_.at(position_).close();
        } catch (...) {
            // closing a dead connection may fail; it is gone either way
        }
    }
    pool_->pool_.give_back(position_);
    pool_ = nullptr;
}

std::optional<SessionPool::Lease> SessionPool::acquire() {
    std::size_t position = 0;
    if (!pool_.try_lease(position, static_cast<int>(wait_.count()))) return std::nullopt;
    Lease lease(this, position);
    soci::session& session = lease.session();
    if (session.get_backend() == nullptr) open_read_session(session, target_);
    return lease;
}

}  // namespace fanout::post_query
