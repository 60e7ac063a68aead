// Opening the database: connection, session settings, schema.
#include "store.hpp"

#include <algorithm>
#include <string>

#include "postgres_store.hpp"
#include "sqlite_store.hpp"

namespace fanout::plugins::sql_read_model {

std::unique_ptr<Store> Store::open(const Settings& settings) {
    auto session = std::make_unique<soci::session>();
    read_model::open_session(*session, connection_with_timeout(settings));
    const std::string lock_ms = std::to_string(settings.lock_timeout.count());
    if (read_model::backend_of(*session) == read_model::Backend::postgresql) {
        *session << "SET lock_timeout = " + lock_ms;
        *session << "SET client_min_messages = warning";  // no NOTICE noise from IF NOT EXISTS on stderr
        read_model::migrate(*session);
        return std::make_unique<PostgresStore>(std::move(session));
    }
    *session << "PRAGMA busy_timeout = " + lock_ms;
    // The plugin's writes keep the comments' foreign key by construction:
    // every batch that adds a comment also inserts its post or moves the
    // post's version under a guard (a post gone meanwhile rolls the batch
    // back), and a removed post's comments are deleted before the post. The
    // check would cost a posts lookup per added comment.
    *session << "PRAGMA foreign_keys = OFF";
    // Batches touch pages all over the posts and comments b-trees: a page
    // cache and mmap that hold the working set avoid a read() per page
    // (the default cache is 2 MB).
    *session << "PRAGMA cache_size = -65536";
    *session << "PRAGMA mmap_size = 268435456";
    // A batch rewrites most pages of a small model: a checkpoint copies each
    // page once however many commits changed it since the last one, so a
    // long WAL (256 MB) copies far fewer pages per event than the default
    // (4 MB). SqliteStore checkpoints it (wal_checkpointer.hpp).
    int page_size = 4096;
    *session << "PRAGMA page_size", soci::into(page_size);
    const int wal_limit = read_model::k_sqlite_wal_bytes / std::max(page_size, 512);
    read_model::migrate(*session);
    return std::make_unique<SqliteStore>(std::move(session), wal_limit);
}

}  // namespace fanout::plugins::sql_read_model
