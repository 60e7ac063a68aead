#include "test_database.hpp"

#include <stdexcept>

#include "fanout/sql/connection.hpp"
#include "projection_reading.hpp"

namespace fanout::test {

std::string yaml_quote(const std::string& value) {
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

TestDatabase::TestDatabase(DbBackend backend, std::string server) : backend_(backend) {
    schema_ = unique_name("proj", '_');
    if (backend == DbBackend::sqlite) {
        dir_ = std::make_unique<TempDir>();
        connection_ = "sqlite:" + (dir_->path() / "projection.db").string();
        return;
    }
    server_ = server.empty() ? postgres_server() : std::move(server);
    {
        soci::session admin;
        sql::open_session(admin, server_);
        admin << "CREATE SCHEMA " + schema_;
    }
    connection_ = with_options(plugin_application_name());
}

TestDatabase::~TestDatabase() {
    session_.reset();
    if (backend_ != DbBackend::postgresql) return;
    try {
        soci::session admin;
        sql::open_session(admin, server_ + " connect_timeout=5");
        admin << "SET client_min_messages = warning";
        admin << "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE";
        // The generations of its projections (sql-projection's generations.hpp): <schema>_<component>_g<N>.
        std::vector<std::string> generations(100);
        admin << "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)", soci::use(schema_ + "_"),
            soci::into(generations);
        for (const std::string& g : generations) admin << "DROP SCHEMA IF EXISTS \"" + g + "\" CASCADE";
    } catch (const std::exception&) {
        // The server is gone (a test stopped it): nothing left to clean.
    }
}

std::string TestDatabase::with_options(const std::string& application_name) const {
    if (server_.rfind("postgres", 0) == 0) {
        return server_ + (server_.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
               schema_ + "&application_name=" + application_name;
    }
    return server_ + " options='-c search_path=" + schema_ + "' application_name=" + application_name;
}

soci::session& TestDatabase::session() {
    if (!session_) {
        session_ = std::make_unique<soci::session>();
        sql::open_session(*session_, backend_ == DbBackend::sqlite ? connection_ : with_options(schema_ + "_test"));
    }
    return *session_;
}

int TestDatabase::terminate_plugin_sessions() {
    int terminated = 0;
    const std::string application = plugin_application_name();
    session() << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a",
        soci::into(terminated), soci::use(application);
    return terminated;
}

std::int64_t TestDatabase::checkpoint(const std::string& table, const std::string& group, const std::string& topic,
                                      int partition) {
    return stored_checkpoint(session(), table, group, topic, partition);
}

std::int64_t TestDatabase::checkpoint_sum(const std::string& table, const std::string& group) {
    try {
        return stored_checkpoint_sum(session(), table, group);
    } catch (const soci::soci_error&) {
        return -1;  // the server is restarting: no session
    }
}

}  // namespace fanout::test
