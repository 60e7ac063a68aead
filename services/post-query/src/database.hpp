#pragma once
// Read-only database sessions for the HTTP workers.
//
// post-query never writes the read model (the sql_read_model plugin owns it):
// SQLite files are opened read-only (never created; WAL lets readers run beside
// the writer), PostgreSQL sessions are set READ ONLY with a statement timeout.
// Sessions open lazily and a broken one is closed and reopened on its next
// use, so the service starts, and recovers, while the database is down.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

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

/// Close `session`, ignoring the errors of a connection already lost.
void close_quietly(soci::session& session) noexcept;

/// soci::connection_pool with lazy opening and leases returned by RAII.
/// Thread-safe; every HTTP worker holds at most one lease at a time.
///
/// A lease reads one generation of the read model (generation.hpp): on
/// PostgreSQL the session's search_path is the generation's schema, named
/// after the schema the session landed in when it opened (set only
/// when it differs from the session's last); on SQLite the session is opened
/// on the generation's file (reopened when it differs). Once requests ask
/// for another generation, SQLite sessions on the old one are closed when
/// idle or given back, so a retired file is not held open.
class SessionPool {
public:
    /// `component`: the read model's name in fanout_generations (`[A-Za-z0-9_]+`).
    SessionPool(ConnectionString target, std::size_t size, std::chrono::milliseconds wait, std::string component);
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    /// One session, lent until destruction.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        ~Lease();
        soci::session& session() { return pool_->pool_.at(position_); }
        /// The generation of the read model the session reads.
        int generation() const { return pool_->generations_.at(position_); }
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

    /// An open session on `generation`, or nothing when all stayed busy for
    /// `wait`. Throws soci::soci_error when (re)opening fails.
    std::optional<Lease> acquire(int generation = 0);

    std::size_t size() const { return size_; }

private:
    /// PostgreSQL: the search_path of the session at `position` to
    /// `generation`'s schema. Throws soci::soci_error.
    void use_schema(std::size_t position, int generation);
    /// SQLite: close the idle sessions on another generation than `generation`.
    void close_idle_elsewhere(int generation);

    ConnectionString target_;
    std::size_t size_;
    std::chrono::milliseconds wait_;
    std::string component_;
    soci::connection_pool pool_;
    std::vector<int> generations_;           ///< per position; only its lease holder touches it
    std::vector<std::string> base_schemas_;  ///< PostgreSQL, per position: where the session landed
    std::atomic<int> latest_{0};             ///< the generation of the latest lease
};

}  // namespace fanout::post_query
