// Both services start on the real PostgreSQL given as a postgresql:// URL (the
// documented form), with every part percent-encoded, and never log its
// password. The server's keyword-form FANOUT_TEST_PG is turned into that URL.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>
#include <thread>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "api_fixture.hpp"
#include "fanout/common/connection_string.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;

std::string encode_all(const std::string& text) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        out += '%';
        out += k_hex[b >> 4];
        out += k_hex[b & 0xF];
    }
    return out;
}

const char* pg_server() {
    const char* env = std::getenv("FANOUT_TEST_PG");
    if (env == nullptr || *env == '\0') {
        ADD_FAILURE() << "FANOUT_TEST_PG is not set (tools/postgres-dev.sh conn)";
        throw std::runtime_error("FANOUT_TEST_PG unset");
    }
    return env;
}

/// FANOUT_TEST_PG (either form) as postgresql://user:password@host:port/dbname?rest,
/// user, password and database name percent-encoded byte for byte, so the
/// service must decode them to connect. `database` replaces the dbname.
std::string as_url(const std::string& server, const std::string& database = "", const std::string& extra_query = "") {
    const common::ConnectionString cs = common::parse_connection_string(server);
    const auto get = [&](const char* key) {
        const std::string* v = cs.parameter(key);
        return v ? *v : std::string();
    };
    std::string url = "postgresql://";
    if (!get("user").empty()) {
        url += encode_all(get("user"));
        if (cs.parameter("password")) url += ":" + encode_all(get("password"));
        url += "@";
    }
    url += get("host");
    if (!get("port").empty()) url += ":" + get("port");
    url += "/" + encode_all(database.empty() ? get("dbname") : database);
    std::string query;
    for (const auto& [key, value] : cs.parameters) {
        if (key == "user" || key == "password" || key == "host" || key == "port" || key == "dbname") continue;
        query += (query.empty() ? "" : "&") + key + "=" + encode_all(value);
    }
    if (!extra_query.empty()) query += (query.empty() ? "" : "&") + extra_query;
    return query.empty() ? url : url + "?" + query;
}

std::string unique_name(const std::string& prefix) {
    std::random_device rd;
    return prefix + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1'000'000);
}

TEST(PostQueryConnectionUrl, StartsOnPostgresGivenAsAPercentEncodedUrl) {
    TempDir dir;
    const std::string schema = unique_name("pq_url_");
    {
        soci::session admin(soci::postgresql, common::parse_connection_string(pg_server()).soci_connect_string());
        admin << "CREATE SCHEMA " + schema;
    }
    const std::string url = as_url(pg_server(), "", "options=" + encode_all("-csearch_path=" + schema));
    ASSERT_EQ(url.rfind("postgresql://", 0), 0u);
    {
        // --migrate opens the database through the read model's session code too.
        PostQueryProcess process(serve_args(url, {"--migrate"}), dir / "post-query.log");
        ASSERT_TRUE(process.start()) << process.log();
        ApiClient client(process.port());
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        ApiResponse ready;
        while (std::chrono::steady_clock::now() < deadline && (ready = client.get("/readyz")).status != 200) {
            std::this_thread::sleep_for(50ms);
        }
        EXPECT_EQ(ready.status, 200) << ready.body << "\n" << process.log();
        EXPECT_EQ(client.get("/api/v1/postLookup/").status, 204);
        const common::ConnectionString cs = common::parse_connection_string(pg_server());
        if (const std::string* password = cs.parameter("password"); password && password->size() >= 3) {
            EXPECT_EQ(process.log().find(encode_all(*password)), std::string::npos) << process.log();
        }
        process.signal(SIGTERM);
        EXPECT_EQ(process.wait_exit(20s), 0);
    }
    soci::session admin(soci::postgresql, common::parse_connection_string(pg_server()).soci_connect_string());
    admin << "SET client_min_messages = warning";
    admin << "DROP SCHEMA IF EXISTS " + schema + " CASCADE";
}

TEST(PostCommandConnectionUrl, StartsOnPostgresGivenAsAPercentEncodedUrl) {
    TempDir dir;
    const std::string database = unique_name("pc_url_");
    {
        soci::session admin(soci::postgresql, common::parse_connection_string(pg_server()).soci_connect_string());
        admin << "CREATE DATABASE " + database;
    }
    const char* brokers = std::getenv("FANOUT_TEST_BROKERS");
    const std::string url = as_url(pg_server(), database);
    const RunResult help = run_command({(bin_dir() / "post-command").string(), "--help"}, 20s);
    ASSERT_EQ(help.exit_code, 0) << help.output;
    {
        // post-command creates its event store schema on start: that needs the database.
        std::vector<std::string> args = {
            (bin_dir() / "post-command").string(),        "--event-store", url, "--listen", "127.0.0.1:0", "--brokers",
            brokers && *brokers ? brokers : "127.0.0.1:1"};
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            const int fd = ::open((dir / "post-command.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        std::string log;
        while (std::chrono::steady_clock::now() < deadline) {
            log = read_file(dir / "post-command.log");
            if (log.find("listening on") != std::string::npos) break;
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) break;
            std::this_thread::sleep_for(50ms);
        }
        EXPECT_NE(log.find("listening on"), std::string::npos) << log;
        EXPECT_EQ(log.find("does not exist"), std::string::npos) << log;
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        // The event store's tables are there.
        soci::session store(soci::postgresql, common::parse_connection_string(url).soci_connect_string());
        int tables = 0;
        store << "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'", soci::into(tables);
        EXPECT_EQ(tables, 1);
    }
    soci::session admin(soci::postgresql, common::parse_connection_string(pg_server()).soci_connect_string());
    admin << "DROP DATABASE IF EXISTS " + database;
}

}  // namespace
}  // namespace fanout::test
