#pragma once
// A read model for one test: a fresh SQLite file, or a fresh schema on the
// real PostgreSQL server (FANOUT_TEST_PG) dropped afterwards, so tests never
// see each other's rows or the sql_read_model tests' tables.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <soci/soci.h>

#include "test_env.hpp"

namespace fanout::test {

using TestBackend = DbBackend;

std::string backend_name(TestBackend backend);

class ReadModelDb {
public:
    /// Empty database without tables. PostgreSQL: ADD_FAILURE and throw when
    /// FANOUT_TEST_PG is unset (a missing server is a failure, not a skip).
    ReadModelDb(TestBackend backend, const std::filesystem::path& dir);
    ~ReadModelDb();
    ReadModelDb(const ReadModelDb&) = delete;
    ReadModelDb& operator=(const ReadModelDb&) = delete;

    /// What post-query gets as --database.
    const std::string& connection() const { return connection_; }
    TestBackend backend() const { return backend_; }
    soci::session& session() { return session_; }

    /// fanout::read_model::migrate, as the plugin does on start.
    void migrate();

    void add_post(const std::string& post_id, const std::string& author, const std::string& message,
                  const std::string& date_posted, std::int64_t likes = 0);
    void add_comment(const std::string& comment_id, const std::string& post_id, const std::string& username,
                     const std::string& comment, const std::string& comment_date, bool edited = false);
    /// What the plugin does on PostRemovedEvent: delete the post and its
    /// comments, keep a tombstone in removed_posts.
    void remove_post(const std::string& post_id);
    /// Number of tables in the test's database or schema.
    int table_count();

    /// Generation `g` (> 0) of `component` beside this read model, without
    /// tables: the schema `<this schema>_<component>_g<g>` on the same server, or the file
    /// `<file>.g<g>` (where a blue/green rebuild writes it). PostgreSQL: the
    /// schema is dropped with the returned object.
    std::unique_ptr<ReadModelDb> generation(const std::string& component, int g);
    /// Point readers of `component` at generation `live`: the row of the
    /// pointer table fanout_generations, created when missing.
    void set_live(const std::string& component, int live);

private:
    /// SQLite: `sqlite_connection`; PostgreSQL: the schema `pg_schema`, created on `admin_connection`.
    ReadModelDb(TestBackend backend, std::string sqlite_connection, std::string admin_connection,
                std::string pg_schema);

    TestBackend backend_;
    std::string connection_;
    std::string admin_connection_;  ///< PostgreSQL: the server without the test schema
    std::string pg_schema_;
    soci::session session_;
};

/// A random version-4 UUID in canonical form.
std::string random_uuid();

/// `2024-01-01T00:00:00.000Z` plus `seconds`, RFC 3339 UTC with milliseconds.
std::string test_date(int seconds);

}  // namespace fanout::test
