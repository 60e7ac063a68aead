#include "database.hpp"

#include <stdexcept>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace fanout::post_query {
namespace {

constexpr int k_sqlite_busy_timeout_s = 5;
constexpr const char* k_pg_statement_timeout = "SET statement_timeout = 10000";  // ms
constexpr const char* k_pg_connect_timeout_s = "5";

}  // namespace

ConnectionString parse_connection(const std::string& connection) { return common::parse_connection_string(connection); }

std::string redact(const std::string& connection) { return common::redact_connection_string(connection); }

void open_read_session(soci::session& session, const ConnectionString& target) {
    if (target.is_postgresql()) {
        // libpq waits forever for an unreachable host by default; a worker must not.
        ConnectionString with_timeout = target;
        with_timeout.set_default("connect_timeout", k_pg_connect_timeout_s);
        session.open(soci::postgresql, with_timeout.soci_connect_string());
        try {
            session << "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY";
            session << k_pg_statement_timeout;
        } catch (...) {
            session.close();
            throw;
        }
        return;
    }
    session.open(soci::sqlite3,
                 target.soci_connect_string() + " timeout=" + std::to_string(k_sqlite_busy_timeout_s) + " readonly=1");
}

SessionPool::SessionPool(ConnectionString target, std::size_t size, std::chrono::milliseconds wait)
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
