// Opening the database: connection, session settings, schema.
#include "store.hpp"

#include "fanout/sql/connection.hpp"
#include "postgres_store.hpp"
#include "sqlite_store.hpp"

namespace fanout::plugins::analytics {

std::unique_ptr<Store> open_store(const Settings& settings) {
    std::unique_ptr<soci::session> session = sql::connect(settings.database);
    migrate(*session);
    if (sql::backend_of(*session) == sql::Backend::postgresql) {
        return std::make_unique<PostgresStore>(std::move(session));
    }
    return std::make_unique<SqliteStore>(std::move(session));
}

}  // namespace fanout::plugins::analytics
