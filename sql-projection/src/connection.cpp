#include "fanout/sql/connection.hpp"

#include <chrono>
#include <string_view>
#include <thread>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>

#include "fanout/common/connection_string.hpp"

namespace fanout::sql {

Backend backend_of(soci::session& session) {
    return session.get_backend_name() == "postgresql" ? Backend::postgresql : Backend::sqlite;
}

bool is_postgresql(const std::string& connection) {
    try {
        return common::parse_connection_string(connection).is_postgresql();
    } catch (const common::ConnectionStringError&) {
        return false;
    }
}

void open_session(soci::session& session, const std::string& connection) {
    const common::ConnectionString target = common::parse_connection_string(connection);
    if (target.is_postgresql()) {
        session.open(soci::postgresql, target.soci_connect_string());
        return;
    }
    session.open(soci::sqlite3, target.soci_connect_string() + " timeout=30");
    // Before journal_mode: only a file without pages takes a page size.
    session << "PRAGMA page_size = " + std::to_string(k_sqlite_page_size);
    enter_wal_mode(session);
    session << "PRAGMA synchronous=NORMAL";
}

void enter_wal_mode(soci::session& session) {
    constexpr auto k_pause = std::chrono::milliseconds(20);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
        try {
            session << "PRAGMA journal_mode=WAL";
            return;
        } catch (const soci::soci_error& e) {
            const bool locked = std::string_view(e.what()).find("database is locked") != std::string_view::npos;
            if (!locked || std::chrono::steady_clock::now() + k_pause > deadline) throw;
        }
        std::this_thread::sleep_for(k_pause);
    }
}

std::unique_ptr<soci::session> connect(const ConnectionSettings& settings) {
    auto session = std::make_unique<soci::session>();
    open_session(*session, connection_with_timeout(settings));
    const std::string lock_ms = std::to_string(settings.lock_timeout.count());
    if (backend_of(*session) == Backend::postgresql) {
        *session << "SET lock_timeout = " + lock_ms;
        *session << "SET client_min_messages = warning";  // no NOTICE noise from IF NOT EXISTS on stderr
        return session;
    }
    *session << "PRAGMA busy_timeout = " + lock_ms;
    // Batches touch pages all over a projection's b-trees: a page cache that
    // holds the working set avoids a read() per page (the default is 2 MB).
    *session << "PRAGMA cache_size = -65536";
    return session;
}

int sqlite_wal_limit(soci::session& session) {
    // A batch rewrites most pages of a small table: a checkpoint copies each
    // page once however many commits changed it since the last one, so a
    // long WAL (256 MB) copies far fewer pages per event than the default
    // (4 MB).
    int page_size = 4096;
    session << "PRAGMA page_size", soci::into(page_size);
    return k_sqlite_wal_bytes / std::max(page_size, 512);
}

}  // namespace fanout::sql
