// Opening the database: connection, session settings, schema.
#include "store.hpp"

#include "fanout/sql/connection.hpp"
#include "postgres_store.hpp"
#include "sqlite_store.hpp"

namespace fanout::plugins::sql_read_model {

std::unique_ptr<Store> open_store(const Settings& settings) {
    std::unique_ptr<soci::session> session = sql::connect(settings.database);
    if (sql::backend_of(*session) == sql::Backend::postgresql) {
        read_model::migrate(*session);
        return std::make_unique<PostgresStore>(std::move(session));
    }
    // The plugin's writes keep the comments' foreign key by construction:
    // every batch that adds a comment also inserts its post or moves the
    // post's version under a guard (a post gone meanwhile rolls the batch
    // back), and a removed post's comments are deleted before the post. The
    // check would cost a posts lookup per added comment.
    *session << "PRAGMA foreign_keys = OFF";
    // Batches touch pages all over the posts and comments b-trees: mmap that
    // holds the working set avoids a read() per page (sql::connect sizes the
    // page cache).
    *session << "PRAGMA mmap_size = 268435456";
    read_model::migrate(*session);
    return std::make_unique<SqliteStore>(std::move(session));
}

}  // namespace fanout::plugins::sql_read_model
