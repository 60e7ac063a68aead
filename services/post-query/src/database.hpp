#pragma once
// Read-only database sessions for the HTTP workers.
//
// post-query never writes the read model (the sql_read_model plugin owns it):
// SQLite files are opened read-only (never created; WAL lets readers run beside
// the writer), PostgreSQL sessions are set READ ONLY with a statement timeout.
// Sessions open lazily and a broken one is closed and reopened on its next
// use, so the service starts, and recovers, while the database is down.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <soci/soci.h>

#include "fanout/common/connection_string.hpp"

namespace fanout::post_query {

using common::ConnectionString;

/// The connection string's forms and errors are fanout_common's
/// (connection_string.hpp), the same as the plugins'. Throws
/// common::ConnectionStringError (an std::invalid_argument).
ConnectionString parse_connection(const std::string& connection);

/// The connection string with any password replaced by `***`, for logs.
std::string redact(const std::string& connection);

/// Open `session` read-only on `target`. Throws soci::soci_error.
void open_read_session(soci::session& session, const ConnectionString& target);

/// soci::connection_pool with lazy opening and leases returned by RAII.
/// Thread-safe; every HTTP worker holds at most one lease at a time.
class SessionPool {
public:
    SessionPool(ConnectionString target, std::size_t size, std::chrono::milliseconds wait);
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    /// One session, lent until destruction.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        ~Lease();
        soci::session& session() { return pool_->pool_.at(position_); }
        /// The session is broken (connection lost, aborted state): close it on
        /// return so the next lease opens a fresh one.
        void discard() { discard_ = true; }

    private:
        friend class SessionPool;
        Lease(SessionPool* pool, std::size_t position) : pool_(pool), position_(position) {}
        void give_back() noexcept;
        SessionPool* pool_;
        std::size_t position_;
        bool discard_ = false;
    };

    /// An open session, or nothing when all stayed busy for `wait`.
    /// Throws soci::soci_error when (re)opening fails.
    std::optional<Lease> acquire();

    std::size_t size() const { return size_; }

private:
    ConnectionString target_;
    std::size_t size_;
    std::chrono::milliseconds wait_;
    soci::connection_pool pool_;
};

}  // namespace fanout::post_query
