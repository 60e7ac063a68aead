// Opening a projection's database: SQLite session settings, the shared
// options, redaction of connection strings, and the failure classes.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "fanout/sql/connection.hpp"
#include "fanout/sql/errors.hpp"
#include "fanout/sql/settings.hpp"
#include "process.hpp"

namespace sql = fanout::sql;

namespace {

/// Declared options with their values, as the host hands them to a plugin.
class MapOptions final : public fanout::Options {
public:
    explicit MapOptions(std::string connection) : strings_{{"connection", std::move(connection)}} {}
    std::map<std::string, std::int64_t, std::less<>> integers{
        {"lock_timeout_ms", 10'000}, {"connect_timeout_s", 5}, {"reconnect_interval_ms", 1'000},
        {"commit_max_events", 10'000}, {"commit_max_delay_ms", 50}};

    const std::string& get_string(std::string_view key) const override { return strings_.at(std::string(key)); }
    std::int64_t get_integer(std::string_view key) const override { return integers.at(std::string(key)); }
    double get_number(std::string_view) const override { throw std::out_of_range("number"); }
    bool get_boolean(std::string_view) const override { throw std::out_of_range("boolean"); }
    const std::vector<std::string>& get_list(std::string_view) const override { throw std::out_of_range("list"); }
    bool is_set(std::string_view key) const override {
        return strings_.find(key) != strings_.end() || integers.find(key) != integers.end();
    }

private:
    std::map<std::string, std::string, std::less<>> strings_;
};

template <typename T>
T pragma(soci::session& session, const std::string& name) {
    T value{};
    session << "PRAGMA " + name, soci::into(value);
    return value;
}

}  // namespace

TEST(SqlProjectionConnection, ANewSqliteFileGetsThePageSizeAndWal) {
    fanout::test::TempDir dir;
    soci::session session;
    sql::open_session(session, "sqlite:" + (dir / "new.db").string());
    EXPECT_EQ(sql::backend_of(session), sql::Backend::sqlite);
    EXPECT_EQ(pragma<int>(session, "page_size"), sql::k_sqlite_page_size);
    EXPECT_EQ(pragma<std::string>(session, "journal_mode"), "wal");
    EXPECT_EQ(pragma<int>(session, "synchronous"), 1);  // NORMAL
    EXPECT_EQ(sql::sqlite_wal_limit(session), sql::k_sqlite_wal_bytes / sql::k_sqlite_page_size);
}

TEST(SqlProjectionConnection, AnExistingSqliteFileKeepsItsPageSize) {
    fanout::test::TempDir dir;
    const std::string file = (dir / "old.db").string();
    {
        soci::session old(soci::sqlite3, "db=" + file);
        old << "PRAGMA page_size = 4096";
        old << "CREATE TABLE t (x INTEGER)";
    }
    soci::session session;
    sql::open_session(session, "sqlite:" + file);
    EXPECT_EQ(pragma<int>(session, "page_size"), 4096);
    EXPECT_EQ(pragma<std::string>(session, "journal_mode"), "wal");
    EXPECT_EQ(sql::sqlite_wal_limit(session), sql::k_sqlite_wal_bytes / 4096);
}

TEST(SqlProjectionConnection, ConnectAppliesTheLockTimeoutAndPageCache) {
    fanout::test::TempDir dir;
    MapOptions options("sqlite:" + (dir / "p.db").string());
    options.integers["lock_timeout_ms"] = 2'500;
    const sql::ConnectionSettings settings = sql::parse_connection_settings(options);
    EXPECT_EQ(settings.lock_timeout.count(), 2'500);
    const auto session = sql::connect(settings);
    EXPECT_EQ(pragma<int>(*session, "busy_timeout"), 2'500);
    EXPECT_EQ(pragma<int>(*session, "cache_size"), -65'536);
    EXPECT_EQ(pragma<std::string>(*session, "journal_mode"), "wal");
}

TEST(SqlProjectionSettings, OptionsOutOfRangeAreRefusedByName) {
    MapOptions options("sqlite:/tmp/x.db");
    options.integers["reconnect_interval_ms"] = -1;
    try {
        sql::parse_connection_settings(options);
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "option 'reconnect_interval_ms' must be in 0..3600000, got -1");
    }
}

TEST(SqlProjectionSettings, ABadConnectionStringIsRefusedWithoutItsPassword) {
    MapOptions options("postgresql://reader:s3cret@db.example:99999999/model");
    try {
        sql::parse_connection_settings(options);
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("option 'connection': ", 0), 0u) << message;
        EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    }
    EXPECT_THROW(sql::parse_connection_settings(MapOptions("")), std::invalid_argument);
}

TEST(SqlProjectionSettings, RedactedConnectionsHideThePassword) {
    const std::string url = sql::redacted("postgresql://reader:s3cret@db.example:5432/model");
    EXPECT_EQ(url.find("s3cret"), std::string::npos) << url;
    EXPECT_NE(url.find("db.example"), std::string::npos) << url;
    const std::string conninfo = sql::redacted("host=db.example dbname=model password=s3cret");
    EXPECT_EQ(conninfo.find("s3cret"), std::string::npos) << conninfo;
}

TEST(SqlProjectionSettings, PostgresqlGetsTheConnectTimeoutUnlessItHasOne) {
    sql::ConnectionSettings s;
    s.connect_timeout = std::chrono::seconds(7);
    s.connection = "postgresql://reader:s3cret@db.example/model";
    EXPECT_NE(sql::connection_with_timeout(s).find("connect_timeout=7"), std::string::npos)
        << sql::redacted(sql::connection_with_timeout(s));
    s.connection = "host=db.example dbname=model connect_timeout=2";
    EXPECT_NE(sql::connection_with_timeout(s).find("connect_timeout=2"), std::string::npos);
    s.connection = "sqlite:/var/lib/fanout/model.db";
    EXPECT_EQ(sql::connection_with_timeout(s), s.connection);
    EXPECT_TRUE(sql::is_postgresql("postgresql://db.example/model"));
    EXPECT_FALSE(sql::is_postgresql("sqlite:/var/lib/fanout/model.db"));
}

TEST(SqlProjectionErrors, ServerTroubleIsTransientAndConfigurationIsNot) {
    EXPECT_TRUE(sql::is_transient("could not connect to server: Connection refused"));
    EXPECT_TRUE(sql::is_transient("FATAL:  the database system is starting up"));
    EXPECT_TRUE(sql::is_transient("sqlite: BEGIN IMMEDIATE: database is locked (code 5)"));
    EXPECT_TRUE(sql::is_transient("ERROR: canceling statement due to lock timeout"));
    EXPECT_FALSE(sql::is_transient("FATAL:  password authentication failed for user \"reader\""));
    EXPECT_FALSE(sql::is_transient("FATAL:  database \"model\" does not exist"));
    EXPECT_FALSE(sql::is_transient("unable to open database file"));
}

TEST(SqlProjectionErrors, MessagesBecomeOneLine) {
    EXPECT_EQ(sql::one_line("ERROR:  relation \"x\" does not exist\nLINE 1: SELECT\t* FROM x\n  ^\n"),
              "ERROR: relation \"x\" does not exist LINE 1: SELECT * FROM x ^");
    EXPECT_EQ(sql::one_line("  \n"), "");
}

TEST(SqlProjectionConnection, AnUnreadableSqliteDatabaseIsAnError) {
    fanout::test::TempDir dir;
    soci::session session;
    EXPECT_THROW(sql::open_session(session, "sqlite:" + (dir / "missing" / "p.db").string()), std::exception);
}

TEST(SqlProjectionSettings, TheDatabaseOptionsKeepTheirKeysTypesAndDefaults) {
    constexpr auto options = sql::database_options("my database");
    ASSERT_EQ(options.size(), 6u);
    EXPECT_STREQ(options[0].key, "connection");
    EXPECT_EQ(options[0].type, fanout::OptionType::string);
    EXPECT_EQ(options[0].default_value, nullptr);  // required
    EXPECT_STREQ(options[0].description, "my database");
    EXPECT_STREQ(options[1].key, "lock_timeout_ms");
    EXPECT_STREQ(options[1].default_value, "10000");
    EXPECT_STREQ(options[2].key, "connect_timeout_s");
    EXPECT_STREQ(options[2].default_value, "5");
    EXPECT_STREQ(options[3].key, "reconnect_interval_ms");
    EXPECT_STREQ(options[3].default_value, "1000");
    EXPECT_STREQ(options[4].key, "commit_max_events");
    EXPECT_STREQ(options[4].default_value, "10000");
    EXPECT_STREQ(options[5].key, "commit_max_delay_ms");
    EXPECT_STREQ(options[5].default_value, "50");
    for (std::size_t i = 1; i < options.size(); ++i) EXPECT_EQ(options[i].type, fanout::OptionType::integer);
}
