#include "database.hpp"

#include <stdexcept>
#include <vector>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "generation.hpp"

namespace fanout::post_query {
namespace {

constexpr int k_sqlite_busy_timeout_s = 5;
constexpr const char* k_pg_statement_timeout = "SET statement_timeout = 10000";  // ms
constexpr const char* k_pg_connect_timeout_s = "5";

}  // namespace

void close_quietly(soci::session& session) noexcept {
    try {
        session.close();
    } catch (...) {
        // closing a dead connection may fail; it is gone either way
    }
}

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

SessionPool::SessionPool(ConnectionString target, std::size_t size, std::chrono::milliseconds wait,
                         std::string component)
    : target_(std::move(target)),
      size_(size),
      wait_(wait),
      component_(std::move(component)),
      pool_(size),
      generations_(size, 0),
      base_schemas_(size) {}

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
    soci::session& session = pool_->pool_.at(position_);
    if (discard_ || (pool_->target_.is_sqlite() &&
                     pool_->generations_.at(position_) != pool_->latest_.load(std::memory_order_relaxed))) {
        close_quietly(session);
    }
    pool_->pool_.give_back(position_);
    pool_ = nullptr;
}

std::optional<SessionPool::Lease> SessionPool::acquire(int generation) {
    if (target_.is_sqlite() && latest_.load(std::memory_order_relaxed) != generation &&
        latest_.exchange(generation, std::memory_order_relaxed) != generation) {
        close_idle_elsewhere(generation);
    }
    std::size_t position = 0;
    if (!pool_.try_lease(position, static_cast<int>(wait_.count()))) return std::nullopt;
    Lease lease(this, position);
    soci::session& session = lease.session();
    int& session_generation = generations_.at(position);
    if (session.get_backend() != nullptr && session_generation != generation) {
        if (target_.is_postgresql()) {
            try {
                use_schema(position, generation);
                session_generation = generation;
            } catch (const soci::soci_error&) {
                close_quietly(session);  // a lost connection: a fresh one below
            }
        } else {
            close_quietly(session);  // another file
        }
    }
    if (session.get_backend() == nullptr) {
        open_read_session(session, generation_target(target_, generation));
        if (target_.is_postgresql()) {
            try {
                base_schemas_.at(position) = base_schema(session);
                if (generation != 0) use_schema(position, generation);
            } catch (...) {
                close_quietly(session);
                throw;
            }
        }
        session_generation = generation;
    }
    return lease;
}

void SessionPool::close_idle_elsewhere(int generation) {
    std::vector<std::size_t> idle;
    std::size_t position = 0;
    while (pool_.try_lease(position, 0)) idle.push_back(position);
    for (const std::size_t p : idle) {
        if (generations_.at(p) != generation) close_quietly(pool_.at(p));
    }
    for (const std::size_t p : idle) pool_.give_back(p);
}

void SessionPool::use_schema(std::size_t position, int generation) {
    // A session setting: every statement of the requests that follow, inside
    // and outside their transactions, reads this generation.
    pool_.at(position) << (generation == 0
                               ? std::string("RESET search_path")
                               : "SET search_path TO " + quote_identifier(generation_schema(base_schemas_.at(position),
                                                                                            component_, generation)));
}

}  // namespace fanout::post_query
