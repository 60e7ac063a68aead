#pragma once
// Which generation of the read model post-query serves.
//
// A blue/green rebuild writes a new generation of the read model's tables
// beside the live one and switches readers with one UPDATE of the pointer
// table `fanout_generations` in the base location (the connection's own
// schema, or the SQLite file the connection names): `live` = 0 is the base
// location itself; g > 0 is the schema `<base schema>_<component>_g<g>`
// (PostgreSQL) or the file `<file>.g<g>` (SQLite), as the projection engine
// writes them (fanout/sql/generations.hpp). No table or no row: 0.
//
// post-query reads the pointer at most once per refresh interval, on a session
// of its own, and switches only to a generation whose tables are there; a
// request picks its generation once, so all its queries read the same one.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <soci/soci.h>

#include "database.hpp"
#include "fanout/sql/generations.hpp"

namespace fanout::post_query {

/// A component name is `[A-Za-z0-9_]+`: it becomes part of a schema name.
bool is_valid_component(std::string_view component);

/// Where generation `generation` of `component` lives, reached from `base`:
/// `base` itself for 0; the same server for PostgreSQL (the schema is set per
/// session, generation_schema); the file `<path>.g<generation>` for SQLite.
ConnectionString generation_target(const ConnectionString& base, int generation);

/// The PostgreSQL schema of a generation > 0, the projection engine's:
/// `<base_schema>_<component>_g<generation>` (e.g. public_read_model_g2).
using sql::generation_schema;

/// PostgreSQL: the schema `session` lands in (`current_schema()`), "" when
/// none of its search_path exists. Throws soci::soci_error.
std::string base_schema(soci::session& session);

/// `"name"`: a PostgreSQL identifier, quoted.
std::string quote_identifier(std::string_view name);

class GenerationFollower {
public:
    GenerationFollower(ConnectionString base, std::string component,
                       std::chrono::milliseconds refresh = std::chrono::seconds(1));
    GenerationFollower(const GenerationFollower&) = delete;
    GenerationFollower& operator=(const GenerationFollower&) = delete;

    /// The generation a request reads from now on. Reads the pointer when the
    /// last read is older than the refresh interval; meanwhile, and while one
    /// thread reads it, the others get the cached value at the cost of two
    /// atomic loads. Called concurrently from every HTTP worker; never throws
    /// (a pointer that cannot be read keeps the generation served).
    int current();

    const std::string& component() const { return component_; }

private:
    void refresh();
    /// `live` of the component's row; 0 without table or row. Throws soci::soci_error.
    int read_live();
    /// Whether the tables read by post-query are in generation `generation`.
    bool tables_exist(int generation);

    ConnectionString base_;
    std::string component_;
    std::chrono::steady_clock::duration refresh_;
    std::atomic<int> served_{0};
    std::atomic<std::int64_t> next_read_{0};  ///< steady_clock ticks
    std::mutex reading_;                      ///< guards the members below
    soci::session session_;                   ///< on the base location, opened on first use
    std::string base_schema_;                 ///< PostgreSQL: the schema session_ lands in
    std::optional<int> missing_warned_;       ///< a missing generation already logged
    bool read_failed_ = false;                ///< the last read failed (logged once)
};

}  // namespace fanout::post_query
