// Opening the database: connection, session settings, schema.
#include "store.hpp"

#include <string>

#include "postgres_store.hpp"
#include "sqlite_store.hpp"

namespace fanout::plugins::analytics {

std::unique_ptr<Store> Store::open(const Settings& settings) {
    auto session = std::make_unique<soci::session>();
    open_session(*session, connection_with_timeout(settings));
    const std::string lock_ms = std::to_string(settings.lock_timeout.count());
    if (backend_of(*session) == Backend::postgresql) {
        *session << "SET lock_timeout = " + lock_ms;
        *session << "SET client_min_messages = warning";  // no NOTICE noise from IF NOT EXISTS on stderr
        migrate(*session);
        return std::make_unique<PostgresStore>(std::move(session));
    }
    *session << "PRAGMA busy_timeout = " + lock_ms;
    *session << "PRAGMA cache_size = -65536";  // the posts b-tree and its likes index stay in memory
    migrate(*session);
    return std::make_unique<SqliteStore>(std::move(session));
}

}  // namespace fanout::plugins::analytics
