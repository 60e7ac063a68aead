// Configuration: YAML plus flags, strict, with file:line:col errors.
#include <initializer_list>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "config.hpp"
#include "process.hpp"

using namespace fanout::post_command;
using fanout::test::TempDir;

namespace {

std::string error_of(const TempDir& dir, const std::string& yaml, const Overrides& overrides = {}) {
    try {
        load_settings(dir.write("post-command.yaml", yaml), overrides);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

/// Each YAML text is refused with `<file><error>`.
void expect_refused(std::initializer_list<std::pair<std::string, std::string>> cases) {
    TempDir dir;
    const std::string file = (dir.path() / "post-command.yaml").string();
    for (const auto& [yaml, error] : cases) EXPECT_EQ(error_of(dir, yaml), file + error) << yaml;
}

}  // namespace

TEST(PostCommandConfig, DefaultsWithoutAFile) {
    const Settings s = load_settings(std::nullopt, {});
    EXPECT_EQ(s.listen_address, "127.0.0.1");
    EXPECT_EQ(s.kafka.topic, "post-events");
    EXPECT_EQ(s.max_body_bytes, 64u * 1024);
    EXPECT_EQ(s.restore_topic, "post-events");
}

TEST(PostCommandConfig, ReadsEverySectionAndFlagsWin) {
    TempDir dir;
    const auto file = dir.write("c.yaml", R"(
listen: {address: 0.0.0.0, port: 9000}
http: {threads: 4, max_body_bytes: 2048}
event_store:
  connection: sqlite:data/events.db
  sqlite_synchronous: full
  snapshot_interval: 50
commands: {max_retries: 5, aggregate_cache_size: 0}
kafka:
  brokers: broker:9092
  topic: posts
  message_timeout_ms: 60000
  properties: {socket.keepalive.enable: "true"}
relay: {batch_size: 100, poll_interval_ms: 50, gap_grace_ms: 1000}
restore: {page_size: 10, topic: posts-rebuild}
shutdown_timeout_ms: 2000
)");
    Overrides o;
    o.listen = "127.0.0.1:0";
    o.topic = "override";
    const Settings s = load_settings(file, o);
    EXPECT_EQ(s.listen_address, "127.0.0.1");
    EXPECT_EQ(s.listen_port, 0);
    EXPECT_EQ(s.http_threads, 4);
    EXPECT_EQ(s.event_store, "sqlite:" + (dir.path() / "data/events.db").string()) << "relative to the file";
    EXPECT_EQ(s.sqlite.synchronous, "full");
    EXPECT_EQ(s.snapshot_interval, 50);
    EXPECT_EQ(s.max_retries, 5);
    EXPECT_EQ(s.aggregate_cache_size, 0u);
    EXPECT_EQ(s.kafka.brokers, "broker:9092");
    EXPECT_EQ(s.kafka.topic, "override");
    EXPECT_EQ(s.kafka.message_timeout_ms, 60000);
    ASSERT_EQ(s.kafka.properties.size(), 1u);
    EXPECT_EQ(s.relay.gap_grace.count(), 1000);
    EXPECT_EQ(s.relay.restore_page_size, 10u);
    EXPECT_EQ(s.restore_topic, "posts-rebuild");
    EXPECT_EQ(s.shutdown_timeout.count(), 2000);
}

TEST(PostCommandConfig, ErrorsNameFileLineAndColumn) {
    TempDir dir;
    const std::string file = (dir.path() / "post-command.yaml").string();
    EXPECT_EQ(error_of(dir, "listen:\n  port: many\n"), file + ":2:9: listen.port: expected an integer, got 'many'");
    EXPECT_EQ(error_of(dir, "listen:\n  port: 70000\n"), file + ":2:9: listen.port: 70000 is out of range 0..65535");
    EXPECT_EQ(error_of(dir, "kafka:\n  brokers: b\n  topik: x\n"), file + ":3:3: unknown key 'topik' in kafka");
    EXPECT_EQ(error_of(dir, "event_store:\n  connection: mysql://x\n"),
              file +
                  ":2:15: event_store.connection: connection string 'mysql://x': unsupported scheme 'mysql://' "
                  "(expected sqlite:, sqlite3:, postgresql:// or postgres://; a SQLite file named like that is "
                  "written ./NAME or sqlite:NAME)");
    EXPECT_EQ(error_of(dir, "event_store: {sqlite_synchronous: off}\n"),
              file + ":1:35: event_store.sqlite_synchronous: expected normal, full or extra, got 'off'");
    EXPECT_NE(error_of(dir, "listen: [1, 2\n").find(file + ":"), std::string::npos) << "YAML syntax error located";
    EXPECT_NE(error_of(dir, "kafka:\n  properties: {no.such.property: 1}\n").find("no.such.property"),
              std::string::npos);
}

TEST(PostCommandConfig, HostileYamlIsAConfigErrorWithItsLocation) {
    expect_refused({
        {"kafka: &k {brokers: b, properties: {x: *k}}\n",
         ":1:40: alias refers to the node that contains it (anchored at line 1): a node cannot include itself"},
        {std::string(100'000, '[') + std::string(100'000, ']'), ":1:65: nested deeper than 64 levels"},
        {"listen: {port: 1}\nlisten: {port: 2}\n", ":2:1: key 'listen' is repeated in this mapping (first at line 1)"},
    });
}

TEST(PostCommandConfig, EmptyKafkaSettingsAreErrorsAtTheValue) {
    expect_refused({
        {"kafka:\n  brokers: \"\"\n", ":2:12: kafka.brokers: must not be empty"},
        {"kafka: {topic: ''}\n", ":1:16: kafka.topic: must not be empty"},
    });
}

TEST(PostCommandConfig, SecondDocumentIsRefusedEvenWhenBroken) {
    expect_refused({{"listen: {port: 0}\n---\nlisten: [\n",
                     ":2:1: a second YAML document starts here; the file must hold exactly one (remove the '---' "
                     "separator or merge the documents)"}});
    TempDir dir;
    EXPECT_EQ(error_of(dir, "\xEF\xBB\xBF# defaults\n"), "<loaded>") << "an empty file still means defaults";
}

TEST(PostCommandConfig, DevicesAndHugeFilesAreRefusedUnread) {
    try {
        load_settings(std::filesystem::path("/dev/zero"), {});
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "/dev/zero: the configuration file is a character device, not a regular file");
    }
    TempDir dir;
    const std::string file = (dir.path() / "post-command.yaml").string();
    EXPECT_EQ(error_of(dir, "# " + std::string(2u << 20, 'x')),
              file + ": the configuration file is 2097154 bytes, over the limit of 1 MiB");
}

TEST(PostCommandConfig, BadFlagsAreConfigErrors) {
    Overrides o;
    o.listen = "no-port";
    EXPECT_THROW(load_settings(std::nullopt, o), ConfigError);
    Overrides s;
    s.event_store = "oracle:somewhere";
    EXPECT_THROW(load_settings(std::nullopt, s), ConfigError);
}

TEST(PostCommandStoreLocation, RecognisesSqliteAndPostgresqlAndMasksPasswords) {
    EXPECT_EQ(parse_store_location("sqlite:/a/b.db").target, "/a/b.db");
    EXPECT_EQ(parse_store_location("/a/b.db").backend, Backend::sqlite);
    EXPECT_EQ(parse_store_location("postgresql://u:secret@h:5432/db").backend, Backend::postgresql);
    EXPECT_EQ(parse_store_location("postgresql://u:secret@h:5432/db").display(), "postgresql://u:***@h:5432/db");
    EXPECT_EQ(parse_store_location("dbname=x password=secret host=h").display(), "dbname=x password=*** host=h");
    EXPECT_THROW(parse_store_location("sqlite:"), std::invalid_argument);
}
