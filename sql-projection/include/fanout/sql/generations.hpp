#pragma once
// Generations of a projection's tables, for a blue/green rebuild: a rebuild
// writes generation N (from the start of the stream) while generation M, the
// live one, keeps consuming and serving; once N has caught up with M one
// transaction makes N live; M is dropped after a grace period.
//
// The pointer table `fanout_generations` lives in the projection's base
// location (the PostgreSQL schema its connection lands in, or its SQLite
// file); readers (post-query) read it to know where the live tables are:
//
//   component    TEXT PRIMARY KEY  the projection's schema component
//   live         INTEGER NOT NULL  the generation readers use (0: the base location)
//   building     INTEGER           the generation being built, NULL when none
//   retired      INTEGER           the previous live one, dropped after retire_after
//   retire_after TEXT              RFC 3339 UTC
//   switched_at  TEXT              RFC 3339 UTC of the last switch
//
// Generation g > 0 of component c: the PostgreSQL schema `<base>_c_g<g>`
// (`<base>`: the schema the connection lands in, e.g. public_read_model_g2),
// or the SQLite file `<base file>.g<g>`, with the same tables as the base.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/connection.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::sql {

struct GenerationPointer {
    int live = 0;
    std::optional<int> building;
    std::optional<int> retired;
    std::string retire_after;  ///< RFC 3339 UTC, empty when nothing is retired
    std::string switched_at;
};

/// A checkpoint row: where a group stands in one partition.
struct StoredCheckpoint {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next_offset = 0;
};

/// A component name that can name generations: `[A-Za-z0-9_]+` (it becomes
/// part of a schema name).
bool is_component_name(std::string_view component);

/// The PostgreSQL schema of generation `g` (> 0) of `component` whose base
/// location is the schema `base_schema`.
std::string generation_schema(const std::string& base_schema, const std::string& component, int g);

/// The pointer table of `component` in its base location, on `base` (a
/// session on the base location, owned by the caller; on PostgreSQL it may
/// have entered a generation's schema since: the pointer table is named
/// with the schema the session was in when this was made).
class Generations {
public:
    Generations(soci::session& base, std::string component);

    /// Creates the pointer table when missing. Throws.
    void ensure_table();
    /// The component's row; live 0 and nothing else when it has none. Throws.
    GenerationPointer read();
    /// The live generation, read in the caller's open transaction on `base`;
    /// on PostgreSQL the row is locked FOR SHARE until that transaction
    /// ends, so no switch commits in between. Throws.
    int live_for_write();
    /// The generation a rebuild writes: the one being built, or a new one
    /// (one above every generation the row names) recorded as building, its
    /// leftovers (a schema or file of that number) removed first. Throws.
    int begin_building(const ConnectionSettings& database);
    /// Make `building` live when every checkpoint of `group` in the live
    /// generation is at or behind `built` (the building generation's, same
    /// group). One transaction; on PostgreSQL it locks the live checkpoint
    /// rows, so the live generation cannot move ahead while it switches.
    /// `checkpoint_table`: the projection's. True when it switched.
    bool switch_if_caught_up(const ConnectionSettings& database, int building, const std::string& checkpoint_table,
                             const std::string& group, const std::vector<StoredCheckpoint>& built,
                             std::chrono::seconds retire_after);
    /// Drop the retired generation when its grace period is over: its schema
    /// or file, or for generation 0 (the base location, shared with the
    /// pointer table) the tables the live generation has but `keep_tables`
    /// (shared ones: the schema version table). Returns the
    /// generation dropped, or nothing. Throws.
    std::optional<int> drop_retired(const ConnectionSettings& database, const std::vector<std::string>& keep_tables);

    /// The checkpoints of `group` in generation `g`. Throws.
    std::vector<StoredCheckpoint> checkpoints(const ConnectionSettings& database, int g,
                                              const std::string& checkpoint_table, const std::string& group) {
        return checkpoints_of(database, g, checkpoint_table, group, false);
    }

private:
    std::vector<StoredCheckpoint> checkpoints_of(const ConnectionSettings& database, int g,
                                                 const std::string& checkpoint_table, const std::string& group,
                                                 bool lock);
    void drop_generation(const ConnectionSettings& database, int g, int live, const std::vector<std::string>& keep_tables);

    soci::session& base_;
    std::string component_;
    bool postgresql_;
    std::string base_schema_;  ///< PostgreSQL: the schema of the pointer table
    std::string pointer_table_;
};

/// A write session on generation `g` of `component` (g 0: connect(database)):
/// on PostgreSQL the schema is created when missing and made the session's
/// search_path; on SQLite the generation's file is opened. Throws.
std::unique_ptr<soci::session> connect_generation(const ConnectionSettings& database, const std::string& component,
                                                  int g);

/// PostgreSQL: create generation `g`'s (> 0) schema when missing and make it
/// `session`'s search_path (`session` is in the base schema). Throws.
void enter_generation_schema(soci::session& session, const std::string& component, int g);

/// The SQLite file of generation `g` (> 0) for the base connection `connection`.
std::string generation_sqlite_file(const std::string& connection, int g);

}  // namespace fanout::sql
