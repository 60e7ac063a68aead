#include "store_fixture.hpp"

#include <atomic>
#include <cstdlib>
#include <regex>
#include <stdexcept>

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

namespace fanout::test {
namespace {

/// `conninfo` pointed at `database` (a libpq keyword string or a URL).
std::string with_database(const std::string& conninfo, const std::string& database) {
    if (conninfo.rfind("postgres", 0) == 0) {
        static const std::regex path(R"(^(postgres(?:ql)?://[^/]*)(/[^?]*)?)");
        return std::regex_replace(conninfo, path, "$1/" + database, std::regex_constants::format_first_only);
    }
    return conninfo + " dbname=" + database;  // libpq: the last value of a keyword wins
}

}  // namespace

std::string to_string(StoreKind kind) { return kind == StoreKind::sqlite ? "sqlite" : "postgresql"; }

std::string postgres_conninfo() {
    const char* env = std::getenv("FANOUT_TEST_PG");
    if (env == nullptr || *env == '\0') {
        ADD_FAILURE() << "FANOUT_TEST_PG is not set: run tools/test.sh, or tools/postgres-dev.sh start and "
                         "export FANOUT_TEST_PG=\"$(tools/postgres-dev.sh conn)\"";
        throw std::runtime_error("FANOUT_TEST_PG unset");
    }
    return env;
}

TestStore::TestStore(StoreKind kind) : kind_(kind) {
    if (kind == StoreKind::sqlite) {
        connection_ = "sqlite:" + (dir_.path() / "events.db").string();
        return;
    }
    static std::atomic<int> counter{0};
    database_ = "pc_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
    soci::session admin(soci::postgresql, postgres_conninfo());
    admin << "CREATE DATABASE " + database_;
    connection_ = with_database(postgres_conninfo(), database_);
}

TestStore::~TestStore() {
    session_.reset();
    if (database_.empty()) return;
    try {
        soci::session admin(soci::postgresql, postgres_conninfo());
        admin << "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)";
    } catch (const std::exception&) {
        // Left behind on a broken server; tools/postgres-dev.sh start re-creates the cluster.
    }
}

soci::session& TestStore::sql() {
    if (!session_) {
        session_ = std::make_unique<soci::session>();
        if (kind_ == StoreKind::sqlite) {
            session_->open(soci::sqlite3, "db=" + connection_.substr(7) + " timeout=10");
        } else {
            session_->open(soci::postgresql, connection_);
        }
    }
    return *session_;
}

long long TestStore::scalar(const std::string& query) {
    long long value = 0;
    sql() << query, soci::into(value);
    return value;
}

}  // namespace fanout::test
