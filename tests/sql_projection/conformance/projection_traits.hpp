#pragma once
// What a SQL projection of the post events (docs/events.md) supplies for the
// conformance suites (projection_conformance.hpp, projection_exactly_once.hpp):
// which plugin it is, where it keeps its checkpoints and schema record, its
// tables read back from the database, a reference that computes those tables
// directly from the events, and how hard to push it on the broker.
//
//   struct MyTraits : ProjectionOf<MyReference, read_my_tables> {
//       static constexpr ProjectionNames k_names{...};
//       static constexpr ExactlyOnceWorkload k_workload{...};
//       // optional: static std::string options(const std::string& connection);
//   };
//
// with `MyTables read_my_tables(soci::session&)`, MyTables comparable with ==
// and counting `total_likes()`, `MyReference::apply(envelope)` folding one
// event at a time and `tables()` giving the result, and
// `differences(expected, actual)` listing readably what differs.
#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <soci/soci.h>

#include "paced_producer.hpp"
#include "test_database.hpp"

namespace fanout::test {

struct ProjectionNames {
    const char* library;           ///< file name in build/lib
    const char* plugin;            ///< its name in a fanoutd config
    const char* database;          ///< what its messages call it: "cannot use the <database> database"
    const char* schema_component;  ///< its row in the version table
    int schema_version = 1;
    const char* version_table = "schema_version";
    const char* checkpoints = nullptr;  ///< fanout/sql/checkpoint_table.hpp; nullptr: <schema_component>_checkpoints

    /// The consumer group of its tests.
    std::string group() const { return std::string("fanout.") + plugin; }
    std::string checkpoint_table() const {
        return checkpoints != nullptr ? checkpoints : std::string(schema_component) + "_checkpoints";
    }
};

/// How hard the exactly-once suite pushes a projection (its run time).
struct ExactlyOnceWorkload {
    Pace kill_pace;  ///< the stream during the kill -9 rounds
    int kills = 5;
    std::chrono::milliseconds kill_window{800};  ///< a kill lands at most this long after progress
    Pace restart_pace;                           ///< the stream during PostgreSQL restarts
    int restarts = 1;
};

/// `kills` kills over `kill_events` events of 2,000 posts, then one PostgreSQL
/// restart over 20,000 events of 1,000 posts; both streams generated from `seed`.
constexpr ExactlyOnceWorkload kills_then_restart(std::size_t kill_events, int kills, std::uint64_t seed) {
    return {.kill_pace = {.events = kill_events, .posts = 2'000, .seed = seed, .pause = std::chrono::milliseconds(150)},
            .kills = kills,
            .restart_pace = {.events = 20'000, .posts = 1'000, .seed = seed, .pause = std::chrono::milliseconds(300)}};
}

/// The reference and the reader of a projection's tables.
template <class R, auto Read>
struct ProjectionOf {
    using Reference = R;
    using Tables = std::invoke_result_t<decltype(Read), soci::session&>;
    static Tables read(soci::session& session) { return Read(session); }
};

template <class T>
concept ProjectionTraits = requires(soci::session& session, const typename T::Tables& tables,
                                    typename T::Reference& reference, std::string_view envelope) {
    { T::k_names } -> std::convertible_to<ProjectionNames>;
    { T::k_workload } -> std::convertible_to<ExactlyOnceWorkload>;
    { T::read(session) } -> std::same_as<typename T::Tables>;
    { std::as_const(reference).tables() } -> std::convertible_to<const typename T::Tables&>;
    { differences(tables, tables) } -> std::convertible_to<std::string>;
    { tables == tables } -> std::convertible_to<bool>;
    { tables.total_likes() } -> std::convertible_to<std::int64_t>;
    reference.apply(envelope);
};

/// Type names of Traits instantiations: the plugin's name ("read_model").
struct PluginNames {
    template <class T>
    static std::string GetName(int) {
        std::string name = T::k_names.plugin;
        std::replace(name.begin(), name.end(), '-', '_');
        return name;
    }
};

/// The plugin's options on the database `connection`, as YAML lines:
/// T::options when the projection has options of its own, else `connection` alone.
template <class T>
std::string options_for(const std::string& connection) {
    if constexpr (requires { T::options(connection); }) {
        return T::options(connection);
    } else {
        return connection_option(connection);
    }
}

}  // namespace fanout::test
