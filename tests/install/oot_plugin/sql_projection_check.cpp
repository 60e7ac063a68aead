// Links Fanout::sql_projection from the installed package and uses it on a
// SQLite file: session setup, checkpoint table, one fenced advance.
// Usage: sql_projection_check FILE.db   (exit 0 when all holds)
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/connection.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    try {
        namespace sql = fanout::sql;
        sql::ConnectionSettings settings;
        settings.connection = std::string("sqlite:") + argv[1];
        const auto session = sql::connect(settings);
        *session << sql::checkpoint_table_ddl("oot_checkpoints");
        const std::vector<fanout::TopicPartition> partitions{{"posts", 0}};
        sql::load_checkpoints(*session, "oot_checkpoints", "g", partitions);
        sql::SqliteConnection db(*session);
        sql::SqliteCheckpoints checkpoints(db, "oot_checkpoints");
        const sql::CheckpointAdvance advance[] = {{"posts", 0, fanout::k_no_checkpoint, 5}};
        db.begin();
        const bool moved = checkpoints.advance("g", advance);
        db.commit();
        const bool stale = checkpoints.advance("g", advance);
        const auto next = sql::load_checkpoints(*session, "oot_checkpoints", "g", partitions);
        if (!moved || stale || next.at(0) != 5) {
            std::fprintf(stderr, "unexpected checkpoints\n");
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
