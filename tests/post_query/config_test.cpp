#include "config.hpp"

#include <gtest/gtest.h>

#include "generation.hpp"
#include "process.hpp"

namespace fanout::post_query {
namespace {

using fanout::test::TempDir;

std::string error_of(const std::filesystem::path& file) {
    try {
        load_config_file(file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(PostQueryConfig, ReadsEveryKey) {
    TempDir dir;
    const auto file =
        dir.write("pq.yaml",
                  "# comment\nlisten: 0.0.0.0:9000\ndatabase: postgresql://u:p@h/db\nthreads: 16\n"
                  "pool_size: 4\nmax_connections: 100\nidle_timeout_ms: 2000\nrequest_timeout_ms: 3000\n");
    const Settings s = load_config_file(file);
    EXPECT_EQ(s.listen.host, "0.0.0.0");
    EXPECT_EQ(s.listen.port, 9000);
    EXPECT_EQ(s.database, "postgresql://u:p@h/db");
    EXPECT_EQ(s.threads, 16);
    EXPECT_EQ(s.pool_size, 4);
    EXPECT_EQ(s.max_connections, 100);
    EXPECT_EQ(s.idle_timeout_ms, 2000);
    EXPECT_EQ(s.request_timeout_ms, 3000);
    EXPECT_EQ(s.read_model_component, "read_model");
    EXPECT_EQ(load_config_file(dir.write("pq.yaml", "read_model_component: Posts_2\n")).read_model_component,
              "Posts_2");
}

TEST(PostQueryConfig, DefaultsBindLoopback) {
    TempDir dir;
    const Settings s = load_config_file(dir.write("pq.yaml", ""));
    EXPECT_EQ(s.listen.host, "127.0.0.1");
    EXPECT_EQ(s.listen.port, 8081);
    EXPECT_EQ(s.pool_size, 0);
}

TEST(PostQueryConfig, RelativeSqlitePathsAreRelativeToTheFile) {
    TempDir dir;
    std::filesystem::create_directories(dir / "etc");
    EXPECT_EQ(load_config_file(dir.write("etc/pq.yaml", "database: sqlite:../data/rm.db\n")).database,
              "sqlite:" + (dir / "data/rm.db").string());
    EXPECT_EQ(load_config_file(dir.write("etc/pq.yaml", "database: rm.db\n")).database,
              "sqlite:" + (dir / "etc/rm.db").string());
    EXPECT_EQ(load_config_file(dir.write("etc/pq.yaml", "database: sqlite:/abs/rm.db\n")).database,
              "sqlite:/abs/rm.db");
    EXPECT_EQ(load_config_file(dir.write("etc/pq.yaml", "database: dbname=x host=y\n")).database, "dbname=x host=y");
}

TEST(PostQueryConfig, ErrorsNameFileLineAndColumn) {
    TempDir dir;
    const auto f = [&](const std::string& yaml) { return error_of(dir.write("pq.yaml", yaml)); };
    const std::string p = (dir / "pq.yaml").string();
    const std::pair<std::string, std::string> cases[] = {
        {"database: x.db\nbogus: 1\n",
         ":2:1: unknown key 'bogus' (expected one of: listen, database, read_model_component, threads, pool_size, "
         "max_connections, idle_timeout_ms, request_timeout_ms)"},
        {"read_model_component: read-model\n",
         ":1:23: 'read_model_component': expected letters, digits and '_' only (it is part of schema names), "
         "got 'read-model'"},
        {"read_model_component: '\"x\"; DROP'\n",
         ":1:23: 'read_model_component': expected letters, digits and '_' only (it is part of schema names), got "
         "'\"x\"; DROP'"},
        {"threads: -1\n", ":1:10: 'threads': expected an integer in [1, 256], got '-1'"},
        {"threads: 257\n", ":1:10: 'threads': expected an integer in [1, 256], got '257'"},
        {"pool_size: [1]\n", ":1:12: 'pool_size': expected an integer in [1, 256], got a list"},
        {"listen: 127.0.0.1\n", ":1:9: 'listen': expected HOST:PORT, got '127.0.0.1'"},
        {"listen: 127.0.0.1:99999\n", ":1:9: 'listen': port must be a number in 0..65535, got '99999'"},
        {"database: \"sqlite:\"\n",
         ":1:11: 'database': connection string 'sqlite:': empty SQLite database path (expected e.g. "
         "sqlite:/var/lib/fanout/read-model.db)"},
        {"database: \"postgresql://u:hunter2@h:0/db\"\n",
         ":1:11: 'database': connection string 'postgresql://u:***@h:0/db': port '0' is not a number in 1..65535"},
        {"max_connections: 0\n", ":1:18: 'max_connections': expected an integer in [1, 1000000], got '0'"},
        {"idle_timeout_ms: x\n", ":1:18: 'idle_timeout_ms': expected an integer in [1, 3600000], got 'x'"},
        {"database:\n", ":1:1: 'database': missing value"},
        {"database: ''\n", ":1:11: 'database': expected a non-empty string, got ''"},
        {"42\n", ":1:1: expected a mapping of settings, got '42'"},
    };
    for (const auto& [yaml, error] : cases) EXPECT_EQ(f(yaml), p + error) << yaml;
    EXPECT_NE(f("listen: \"unterminated\n").find(p + ":"), std::string::npos);
    EXPECT_EQ(error_of(dir / "missing.yaml"),
              (dir / "missing.yaml").string() + ": the file cannot be opened: No such file or directory");
}

TEST(PostQueryConfig, HostileYamlIsAConfigErrorWithItsLocation) {
    TempDir dir;
    const auto f = [&](const std::string& yaml) { return error_of(dir.write("pq.yaml", yaml)); };
    const std::string p = (dir / "pq.yaml").string();
    EXPECT_EQ(
        f("listen: &l [*l]\n"),
        p + ":1:13: alias refers to the node that contains it (anchored at line 1): a node cannot include itself");
    EXPECT_EQ(f(std::string(100'000, '[') + std::string(100'000, ']')), p + ":1:65: nested deeper than 64 levels");
    EXPECT_EQ(f("threads: 2\nthreads: 3\n"), p + ":2:1: key 'threads' is repeated in this mapping (first at line 1)");
    EXPECT_EQ(f("threads: 2\n---\nthreads: [\n"),
              p + ":2:1: a second YAML document starts here; the file must hold exactly one (remove the '---' "
                  "separator or merge the documents)");
    EXPECT_EQ(f("\xEF\xBB\xBF"), "") << "an empty file still means defaults";
    EXPECT_EQ(error_of("/dev/zero"), "/dev/zero: the file is a character device, not a regular file");
    EXPECT_EQ(f("# " + std::string(2u << 20, 'x')), p + ": the file is 2097154 bytes, over the limit of 1 MiB");
}

TEST(PostQueryConfig, ComponentsNameSchemasAndFiles) {
    EXPECT_EQ(parse_component("read_model"), "read_model");
    for (const char* bad : {"", "read-model", "a b", "x\"", "r\u00e9ad", "a.b"}) {
        EXPECT_THROW(parse_component(bad), std::invalid_argument) << bad;
    }
    EXPECT_EQ(generation_schema("public", "read_model", 2), "public_read_model_g2");
    EXPECT_EQ(quote_identifier("read_model_g2"), "\"read_model_g2\"");
    EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
    const ConnectionString sqlite = parse_connection("sqlite:/var/lib/fanout/read.db");
    EXPECT_EQ(generation_target(sqlite, 0).path, "/var/lib/fanout/read.db");
    EXPECT_EQ(generation_target(sqlite, 2).path, "/var/lib/fanout/read.db.g2");
    const ConnectionString pg = parse_connection("dbname=fanout host=h");
    EXPECT_EQ(generation_target(pg, 2).soci_connect_string(), pg.soci_connect_string());
}

TEST(PostQueryConfig, ListenAddresses) {
    EXPECT_EQ(parse_listen("127.0.0.1:0").port, 0);
    EXPECT_EQ(parse_listen("localhost:8081").host, "localhost");
    const auto v6 = parse_listen("[::1]:8081");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 8081);
    for (const char* bad : {"", ":80", "host", "host:", "host:-1", "host:65536", "host:8o", "[]:80"}) {
        EXPECT_THROW(parse_listen(bad), std::invalid_argument) << bad;
    }
}

}  // namespace
}  // namespace fanout::post_query
