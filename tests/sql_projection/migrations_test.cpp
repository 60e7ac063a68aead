// A projection's migrations (fanout/sql/migrations.hpp) on SQLite files:
// applied once and in order, recorded with a checksum, all or nothing, and a
// database this build cannot use is refused with a message that says why.
// Statements are plain CREATE TABLE (no IF NOT EXISTS), so running one twice fails.
// The last tests run on the PostgreSQL of FANOUT_TEST_PG (a schema of their own).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/connection.hpp"
#include "fanout/sql/migrations.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace sql = fanout::sql;

namespace {

sql::Migration table(const std::string& name) { return {"table " + name, {"CREATE TABLE " + name + " (x INTEGER)"}}; }

class SqlMigrations : public ::testing::Test {
protected:
    std::unique_ptr<soci::session> open() {
        sql::ConnectionSettings settings;
        settings.connection = "sqlite:" + (dir_ / "m.db").string();
        return sql::connect(settings);
    }
    static int count(soci::session& s, const std::string& query) {
        int n = -1;
        s << query, soci::into(n);
        return n;
    }
    static bool has_table(soci::session& s, const std::string& name) {
        return count(s, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'") == 1;
    }
    static std::vector<std::string> history(soci::session& s, const std::string& component) {
        std::vector<std::string> out;
        const soci::rowset<soci::row> rows =
            (s.prepare << "SELECT version, description FROM fanout_schema_history WHERE component = :c ORDER BY version",
             soci::use(component));
        for (const soci::row& r : rows) out.push_back(std::to_string(r.get<int>(0)) + " " + r.get<std::string>(1));
        return out;
    }

    fanout::test::TempDir dir_;
};

TEST_F(SqlMigrations, AppliesEachMigrationOnceInOrderAndRecordsIt) {
    const sql::Schema v1{"c", {table("a")}};
    const auto s = open();
    const sql::MigrationResult first = sql::migrate(*s, v1);
    EXPECT_EQ(first.from, 0);
    EXPECT_EQ(first.to, 1);
    EXPECT_TRUE(has_table(*s, "a"));
    EXPECT_EQ(sql::recorded_version(*s, v1), 1);

    const sql::MigrationResult again = sql::migrate(*s, v1);  // would fail if it ran CREATE TABLE a again
    EXPECT_EQ(again.from, 1);
    EXPECT_EQ(again.to, 1);

    // A later build appends migrations: only those run, in their order (c
    // refers to b, so the wrong order fails).
    const sql::Schema v3{"c",
                         {table("a"), table("b"),
                          {"view on b", {"CREATE VIEW c AS SELECT x FROM b"}}}};
    const sql::MigrationResult later = sql::migrate(*open(), v3);
    EXPECT_EQ(later.from, 1);
    EXPECT_EQ(later.to, 3);
    EXPECT_EQ(sql::recorded_version(*s, v3), 3);
    EXPECT_EQ(history(*s, "c"), (std::vector<std::string>{"1 table a", "2 table b", "3 view on b"}));
    EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM schema_version"), 1);
}

TEST_F(SqlMigrations, ComponentsShareADatabaseAndKeepTheirOwnVersions) {
    const auto s = open();
    sql::migrate(*s, {"one", {table("a"), table("b")}});
    sql::migrate(*s, {"two", {table("c")}, "two_versions"});
    EXPECT_EQ(sql::recorded_version(*s, {"one", {}}), 2);
    EXPECT_EQ(sql::recorded_version(*s, {"two", {}, "two_versions"}), 1);
    EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM two_versions"), 1);
    EXPECT_EQ(history(*s, "one").size(), 2u);
    EXPECT_EQ(history(*s, "two"), (std::vector<std::string>{"1 table c"}));
}

TEST_F(SqlMigrations, AFailingMigrationLeavesNothingBehindAndNamesItself) {
    const auto s = open();
    sql::migrate(*s, {"c", {table("a")}});
    const sql::Schema broken{"c", {table("a"), table("b"), {"bad", {"CREATE TABLE d (x INTEGER)", "NOT SQL"}}}};
    try {
        sql::migrate(*s, broken);
        FAIL() << "a statement that does not parse must fail the migration";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("c migration 3 (bad) failed"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(has_table(*s, "b")) << "migration 2 rolled back with 3";
    EXPECT_FALSE(has_table(*s, "d"));
    EXPECT_EQ(sql::recorded_version(*s, broken), 1);
    EXPECT_EQ(history(*s, "c").size(), 1u);
    // Fixed, it applies 2 and 3.
    sql::migrate(*s, {"c", {table("a"), table("b"), table("d")}});
    EXPECT_TRUE(has_table(*s, "d"));
}

TEST_F(SqlMigrations, ANewerDatabaseIsRefused) {
    const auto s = open();
    sql::migrate(*s, {"c", {table("a"), table("b")}});
    try {
        sql::migrate(*s, {"c", {table("a")}});
        FAIL() << "an older build must not use a newer schema";
    } catch (const sql::SchemaError& e) {
        EXPECT_STREQ(e.what(), "c schema version 2 is newer than this build understands (1)");
    }
}

TEST_F(SqlMigrations, AnAppliedMigrationThatChangedIsRefused) {
    const auto s = open();
    sql::migrate(*s, {"c", {table("a")}});
    const sql::Schema edited{"c", {{"table a", {"CREATE TABLE a (x INTEGER, y TEXT)"}}, table("b")}};
    try {
        sql::migrate(*s, edited);
        FAIL() << "an edited migration must stop the start";
    } catch (const sql::SchemaError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("c migration 1 (table a) changed after it was applied"), std::string::npos) << what;
        EXPECT_NE(what.find(sql::migration_checksum(edited.migrations[0].statements)), std::string::npos) << what;
    }
    EXPECT_FALSE(has_table(*s, "b")) << "nothing of the later migrations ran";
}

TEST_F(SqlMigrations, ADatabaseMigratedBeforeTheHistoryGetsItFilledIn) {
    // As earlier builds left it: the tables and the version row, no history.
    const auto s = open();
    *s << "CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
    *s << "CREATE TABLE a (x INTEGER)";
    *s << "INSERT INTO schema_version (component, version) VALUES ('c', 1)";
    const sql::MigrationResult r = sql::migrate(*s, {"c", {table("a"), table("b")}});
    EXPECT_EQ(r.from, 1);
    EXPECT_EQ(r.to, 2);
    EXPECT_EQ(history(*s, "c"), (std::vector<std::string>{"1 table a", "2 table b"}));
    // And from now on an edit of migration 1 is caught.
    EXPECT_THROW(sql::migrate(*s, {"c", {table("a2"), table("b")}}), sql::SchemaError);
}

TEST_F(SqlMigrations, PostgresqlStatementsReplaceTheCommonOnesOnlyThere) {
    const sql::Migration m{"ids", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}, {"CREATE TABLE t (id BIGSERIAL PRIMARY KEY)"}};
    EXPECT_EQ(m.for_backend(sql::Backend::sqlite), m.statements);
    EXPECT_EQ(m.for_backend(sql::Backend::postgresql), m.postgresql_statements);
    const sql::Migration common{"x", {"CREATE TABLE t (x INTEGER)"}};
    EXPECT_EQ(common.for_backend(sql::Backend::postgresql), common.statements);
    EXPECT_NE(sql::migration_checksum({"ab"}), sql::migration_checksum({"a", "b"}));
    EXPECT_EQ(sql::migration_checksum({"ab"}).size(), 16u);
}

TEST_F(SqlMigrations, ProcessesStartingTogetherApplyEachMigrationOnce) {
    const sql::Schema schema{"c", {table("a"), table("b"), table("c")}};
    constexpr int k_starters = 6;
    std::atomic<int> failures{0};
    std::vector<std::thread> starters;
    for (int i = 0; i < k_starters; ++i) {
        starters.emplace_back([&] {
            try {
                sql::migrate(*open(), schema);
            } catch (const std::exception& e) {
                ++failures;
                ADD_FAILURE() << e.what();
            }
        });
    }
    for (auto& t : starters) t.join();
    EXPECT_EQ(failures.load(), 0);
    const auto s = open();
    EXPECT_EQ(sql::recorded_version(*s, schema), 3);
    EXPECT_EQ(history(*s, "c").size(), 3u);
}

}  // namespace

// --- PostgreSQL (FANOUT_TEST_PG): a schema of the test's own --------------------

namespace {

std::unique_ptr<soci::session> open_on(const fanout::test::TestDatabase& db) {
    sql::ConnectionSettings settings;
    settings.connection = db.connection();
    return sql::connect(settings);
}

}  // namespace

TEST(SqlMigrationsPostgres, ProcessesStartingTogetherApplyEachMigrationOnce) {
    fanout::test::TestDatabase db(fanout::test::DbBackend::postgresql);
    const sql::Schema schema{"c", {table("a"), table("b"), table("c")}};
    std::atomic<int> failures{0};
    std::vector<std::thread> starters;
    for (int i = 0; i < 6; ++i) {
        starters.emplace_back([&] {
            try {
                sql::migrate(*open_on(db), schema);
            } catch (const std::exception& e) {
                ++failures;
                ADD_FAILURE() << e.what();
            }
        });
    }
    for (auto& t : starters) t.join();
    EXPECT_EQ(failures.load(), 0);
    int history = 0;
    db.session() << "SELECT COUNT(*) FROM fanout_schema_history WHERE component = 'c'", soci::into(history);
    EXPECT_EQ(history, 3);
    EXPECT_EQ(sql::recorded_version(db.session(), schema), 3);
}

TEST(SqlMigrationsPostgres, AFailingMigrationLeavesNothingBehindAndThePerBackendStatementsRun) {
    fanout::test::TestDatabase db(fanout::test::DbBackend::postgresql);
    const auto s = open_on(db);
    // SQLite would not parse the PostgreSQL statement: only PostgreSQL runs it.
    const sql::Migration ids{"ids", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}, {"CREATE TABLE t (id BIGSERIAL PRIMARY KEY)"}};
    sql::migrate(*s, {"c", {ids}});
    *s << "INSERT INTO t DEFAULT VALUES";
    const sql::Schema broken{"c", {ids, table("b"), {"bad", {"NOT SQL"}}}};
    EXPECT_THROW(sql::migrate(*s, broken), std::exception);
    int tables = -1;
    *s << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'b'",
        soci::into(tables);
    EXPECT_EQ(tables, 0) << "migration 2 rolled back with 3";
    EXPECT_EQ(sql::recorded_version(*s, broken), 1);
    EXPECT_THROW(sql::migrate(*s, {"c", {{"ids", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}}}}), sql::SchemaError)
        << "the PostgreSQL statements were recorded: other statements are an edit";
}
