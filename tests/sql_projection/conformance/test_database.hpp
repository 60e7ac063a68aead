#pragma once
// A fresh projection database per test: a SQLite file in a temporary folder,
// or a schema of its own on the PostgreSQL server of FANOUT_TEST_PG (so tests
// never see each other's rows, nor post-query's).
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include <soci/soci.h>

#include "process.hpp"
#include "test_env.hpp"

namespace fanout::test {

/// For GoogleTest's messages ("GetParam() = sqlite").
inline void PrintTo(DbBackend backend, std::ostream* out) { *out << to_string(backend); }

/// `value` as a double-quoted YAML scalar.
std::string yaml_quote(const std::string& value);

/// `connection: "..."` as an option line: what a projection on
/// fanout/sql/settings.hpp needs to run on a database.
inline std::string connection_option(const std::string& connection) {
    return "connection: " + yaml_quote(connection) + "\n";
}

class TestDatabase {
public:
    /// `server`: libpq conninfo of the PostgreSQL server (default FANOUT_TEST_PG).
    explicit TestDatabase(DbBackend backend, std::string server = {});
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    DbBackend backend() const { return backend_; }
    /// The plugin's `connection` option. On PostgreSQL its sessions carry
    /// application_name = plugin_application_name().
    const std::string& connection() const { return connection_; }
    std::string plugin_application_name() const { return schema_ + "_plugin"; }
    /// `connection: "..."` as an option line.
    std::string connection_option() const { return fanout::test::connection_option(connection_); }

    /// A session of the test's own (opened on first use).
    soci::session& session();
    /// Drop the inspection session (e.g. before the server restarts).
    void close_session() { session_.reset(); }
    /// PostgreSQL: ends every session of the plugin (as a server restart or
    /// a network cut would); returns how many there were.
    int terminate_plugin_sessions();

    /// The next offset stored in the checkpoint table `table`, or -2 when there is no row.
    std::int64_t checkpoint(const std::string& table, const std::string& group, const std::string& topic,
                            int partition);
    /// Sum of the group's positive next offsets in `table`: events consumed,
    /// when every partition started at 0. -1 while the database cannot tell.
    std::int64_t checkpoint_sum(const std::string& table, const std::string& group);

private:
    std::string with_options(const std::string& application_name) const;

    DbBackend backend_;
    std::unique_ptr<TempDir> dir_;
    std::string server_, schema_, connection_;
    std::unique_ptr<soci::session> session_;
};

}  // namespace fanout::test
