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

namespace fanout::post_query {

enum class Backend { sqlite, postgresql };

struct ConnectionTarget {
    Backend backend = Backend::sqlite;
    std::string spec;  ///< SQLite: the file path; PostgreSQL: the URL or libpq conninfo
};

/// Same forms and rule as fanout::read_model::open_session: `postgresql://...`,
/// `postgres://...` or libpq `key=value ...` is PostgreSQL; `sqlite:/path.db`
/// (also sqlite3:, sqlite://, sqlite3://) or a bare path is SQLite.
/// Throws std::invalid_argument for an empty SQLite path.
ConnectionTarget parse_connection(const std::string& connection);

/// The connection string with any password replaced by `***`, for logs.
std::string redact(const std::string& connection);

/// Open `session` read-only on `target`. Throws soci::soci_error.
void open_read_session(soci::session& session, const ConnectionTarget& target);

/// soci::connection_pool with lazy opening and leases returned by RAII.
/// Thread-safe; every HTTP worker holds at most one lease at a time.
class SessionPool {
public:
    SessionPool(ConnectionTarget target, std::size_t size, std::chrono::milliseconds wait);
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

    Backend backend() const { return target_.backend; }
    std::size_t size() const { return size_; }

private:
    ConnectionTarget target_;
    std::size_t size_;
    std::chrono::milliseconds wait_;
    soci::connection_pool pool_;
};

}  // namespace fanout::post_query
