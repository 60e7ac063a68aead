#include "store_fixture.hpp"

#include <regex>
#include <stdexcept>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

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

TestStore::TestStore(StoreKind kind) : kind_(kind) {
    if (kind == StoreKind::sqlite) {
        connection_ = "sqlite:" + (dir_.path() / "events.db").string();
        return;
    }
    database_ = unique_name("pc_test", '_');
    soci::session admin(soci::postgresql, postgres_server());
    admin << "CREATE DATABASE " + database_;
    connection_ = with_database(postgres_server(), database_);
}

TestStore::~TestStore() {
    session_.reset();
    if (database_.empty()) return;
    try {
        soci::session admin(soci::postgresql, postgres_server());
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
