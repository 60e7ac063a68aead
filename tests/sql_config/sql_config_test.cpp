// The configuration-only SQL projection (plugins/sql_config): statements of
// every kind bound from the event, exactly once across replays, a poison
// event dead-lettered while the rest of its batch commits, database failures
// retried, and a definition checked with the place of each mistake. On
// SQLite and on the PostgreSQL of FANOUT_TEST_PG.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "event_builder.hpp"
#include "plugin_under_test.hpp"
#include "process.hpp"
#include "projection_test.hpp"
#include "test_database.hpp"

using namespace fanout::test;

namespace {

const PluginIdentity k_plugin{"libfanout_sql_config.so", "posts-cfg"};
constexpr const char* k_group = "fanout.posts-cfg";

const char* const k_definition = R"(component: posts_cfg
migrations:
  - description: posts and their likes
    sql:
      - >-
        CREATE TABLE cfg_posts (post_id TEXT PRIMARY KEY, author TEXT NOT NULL, likes BIGINT NOT NULL DEFAULT 0,
        last_by TEXT, partition_id BIGINT, first_offset BIGINT, version BIGINT)
on:
  PostCreatedEvent:
    - name: insert post
      sql: >-
        INSERT INTO cfg_posts (post_id, author, partition_id, first_offset, version)
        VALUES (:aggregate_id, :data.author, :partition, :offset, :version)
  PostLikedEvent:
    - name: count like
      sql: UPDATE cfg_posts SET likes = likes + 1, last_by = :data.likedBy WHERE post_id = :aggregate_id
  MessageUpdatedEvent:
    - name: upsert post
      sql: >-
        INSERT INTO cfg_posts (post_id, author) VALUES (:aggregate_id, :data.nested.name)
        ON CONFLICT (post_id) DO UPDATE SET author = excluded.author
  PostRemovedEvent:
    - name: delete post
      sql: DELETE FROM cfg_posts WHERE post_id = :aggregate_id
)";

struct Row {
    std::string author;
    std::int64_t likes = 0;
    std::optional<std::string> last_by;
    bool operator==(const Row&) const = default;
};

class SqlConfig : public ::testing::TestWithParam<DbBackend> {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(GetParam()); }

    std::unique_ptr<PluginUnderTest> plugin(const std::string& definition = k_definition,
                                            const std::string& extra = "") {
        const auto file = dir_.write("projection.yaml", definition);
        return std::make_unique<PluginUnderTest>(
            k_plugin, db_->connection_option() + "definition: " + yaml_quote(file.string()) + "\n" + extra, k_group);
    }

    std::map<std::string, Row> posts() {
        std::map<std::string, Row> out;
        const soci::rowset<soci::row> rows =
            (db_->session().prepare << "SELECT post_id, author, likes, last_by FROM cfg_posts");
        for (const soci::row& r : rows) {
            Row row{r.get<std::string>(1), static_cast<std::int64_t>(r.get<long long>(2)), std::nullopt};
            if (r.get_indicator(3) == soci::i_ok) row.last_by = r.get<std::string>(3);
            out[r.get<std::string>(0)] = row;
        }
        return out;
    }

    std::int64_t checkpoint(int partition) {
        return db_->checkpoint("posts_cfg_checkpoints", k_group, k_topic, partition);
    }

    TempDir dir_;
    std::unique_ptr<TestDatabase> db_;
};

TEST_P(SqlConfig, StatementsOfEveryKindRunPerEventTypeAndBindTheEvent) {
    auto p = plugin();
    p->assign(k_topic, {0});
    PartitionEvents e;
    const std::vector<FakeEvent> batch = {
        e.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})"),
        e.next("PostLikedEvent", "p1", 2, R"({"likedBy":"bob"})"),
        e.next("PostLikedEvent", "p1", 3),  // no likedBy: NULL
        e.next("PostCreatedEvent", "p2", 1, R"({"author":"carol"})"),
        e.next("MessageUpdatedEvent", "p3", 1, R"({"nested":{"name":"zed"}})"),
        e.next("PostCreatedEvent", "p4", 1, R"({"author":"dan"})"),
        e.next("PostRemovedEvent", "p4", 2),
        e.next("CommentAddedEvent", "p1", 4, R"({"commentId":"c1"})"),  // no statements: ignored
    };
    const auto outcomes = p->handle(batch);
    EXPECT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));
    const auto rows = posts();
    EXPECT_EQ(rows, (std::map<std::string, Row>{{"p1", {"alice", 2, std::nullopt}},
                                                {"p2", {"carol", 0, std::nullopt}},
                                                {"p3", {"zed", 0, std::nullopt}}}));
    long long partition = -1, offset = -1, version = -1;
    db_->session() << "SELECT partition_id, first_offset, version FROM cfg_posts WHERE post_id = 'p2'",
        soci::into(partition), soci::into(offset), soci::into(version);
    EXPECT_EQ(partition, 0);
    EXPECT_EQ(offset, 3);
    EXPECT_EQ(version, 1);
    EXPECT_EQ(p->counter("applied"), 7u);
    EXPECT_EQ(p->counter("ignored"), 1u);
    EXPECT_EQ(checkpoint(0), 8);
}

TEST_P(SqlConfig, ReplayedEventsChangeNothingSoIncrementsCountEachEventOnce) {
    PartitionEvents e;
    std::vector<FakeEvent> batch = {e.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})")};
    for (int i = 0; i < 20; ++i) batch.push_back(e.next("PostLikedEvent", "p1", i + 2));
    {
        auto first = plugin();
        first->assign(k_topic, {0});
        ASSERT_TRUE(all_done(first->handle(batch)));
    }
    // A restart after the commit: Kafka's offset lagged, the whole batch comes again.
    auto second = plugin();
    EXPECT_EQ(second->assign(k_topic, {0}), std::vector<std::int64_t>{21});
    EXPECT_TRUE(all_done(second->handle(batch)));
    EXPECT_EQ(second->counter("duplicates"), 21u);
    EXPECT_EQ(posts().at("p1").likes, 20);
}

TEST_P(SqlConfig, APoisonEventIsDeadLetteredWithItsStatementAndTheRestOfTheBatchCommits) {
    auto p = plugin();
    p->assign(k_topic, {0, 1});
    PartitionEvents zero(0), one(1);
    const std::vector<FakeEvent> batch = {
        zero.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})"),
        zero.next("PostCreatedEvent", "bad", 1, R"({"title":"no author"})"),  // author NOT NULL
        zero.next("PostLikedEvent", "p1", 2),  // after the poison in its partition: comes again
        one.next("PostCreatedEvent", "p9", 1, R"({"author":"ivy"})"),
        one.next("PostLikedEvent", "p9", 2),
    };
    const auto outcomes = p->handle(batch);
    ASSERT_EQ(kinds(outcomes), (std::vector<std::string>{"done", "reject", "retry_later", "done", "done"}));
    EXPECT_NE(outcomes[1].reason().find("statement 'insert post' failed"), std::string::npos) << outcomes[1].reason();
    EXPECT_NE(outcomes[1].reason().find("author"), std::string::npos) << outcomes[1].reason();
    EXPECT_EQ(posts(), (std::map<std::string, Row>{{"p1", {"alice", 0, std::nullopt}}, {"p9", {"ivy", 1, std::nullopt}}}));
    EXPECT_EQ(checkpoint(0), 1) << "held at the poison event until it is dead-lettered";
    EXPECT_EQ(checkpoint(1), 2);
    // The host dead-letters the poison and delivers the rest again.
    EXPECT_TRUE(all_done(p->handle({batch[2]})));
    EXPECT_EQ(posts().at("p1").likes, 1);
    EXPECT_EQ(checkpoint(0), 3);
}

TEST_P(SqlConfig, ALockedDatabaseRetriesTheBatchAndNeverDeadLetters) {
    auto p = plugin(k_definition, "lock_timeout_ms: 200\nreconnect_interval_ms: 0\n");
    p->assign(k_topic, {0});
    PartitionEvents e;
    ASSERT_TRUE(all_done(p->handle({e.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})")})));
    const std::vector<FakeEvent> likes = {e.next("PostLikedEvent", "p1", 2), e.next("PostLikedEvent", "p1", 3)};
    const auto locked = while_locked(*db_, "cfg_posts", [&] { return p->handle(likes); });
    EXPECT_EQ(kinds(locked), (std::vector<std::string>{"retry_later", "retry_later"}));
    EXPECT_TRUE(all_done(p->handle(likes)));
    EXPECT_EQ(posts().at("p1").likes, 2);
    EXPECT_GE(p->counter("db_errors"), 1u);
    EXPECT_EQ(p->counter("rejected"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlConfig, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         [](const auto& info) { return to_string(info.param); });

// --- The definition, checked with the place of each mistake ----------------------

class SqlConfigDefinition : public ::testing::Test {
protected:
    /// The error starting the plugin with `definition` on SQLite.
    std::string error(const std::string& definition) {
        const auto file = dir_.write("projection.yaml", definition);
        try {
            PluginUnderTest p(k_plugin, db_.connection_option() + "definition: " + yaml_quote(file.string()) + "\n",
                              k_group);
        } catch (const std::exception& e) {
            const std::string what = e.what();
            // Messages name the file; keep what follows it.
            const std::size_t at = what.find(file.string());
            return at == std::string::npos ? what : what.substr(at + file.string().size());
        }
        ADD_FAILURE() << "accepted:\n" << definition;
        return {};
    }

    TempDir dir_;
    TestDatabase db_{DbBackend::sqlite};
};

TEST_F(SqlConfigDefinition, EveryMistakeNamesItsLineColumnAndWhatWasExpected) {
    EXPECT_EQ(error("component: x\nmigration: []\n"),
              ":2:1: unknown key 'migration' in the projection definition (expected checkpoint_table, component, "
              "migrations, on)");
    EXPECT_EQ(error("migrations: [{sql: CREATE TABLE t (x INT)}]\non: {A: [{name: a, sql: SELECT 1}]}\n"),
              ":1:1: missing 'component': the projection's name in its database (e.g. likes)");
    EXPECT_EQ(error("component: 'bad name'\nmigrations: [{sql: CREATE TABLE t (x INT)}]\non: {A: [{name: a, sql: SELECT 1}]}\n"),
              ":1:12: component must be a name of letters, digits and _ (at most 63), not starting with a digit");
    EXPECT_EQ(error("component: c\nmigrations: [{sql: CREATE TABLE t (x INT)}]\non:\n  A:\n    - name: a\n      sql: "
                    "INSERT INTO t VALUES (:aggregateId)\n"),
              ":6:12: statement 'a': unknown parameter :aggregateId (expected one of aggregate_id, version, event_id, "
              "type, occurred_at, global_sequence, topic, partition, offset, key, timestamp_ms, data.<path>) (at "
              "byte 23 of its SQL)");
    EXPECT_EQ(error("component: c\nmigrations: [{sql: CREATE TABLE t (x INT)}]\non:\n  A:\n    - name: a\n"),
              ":5:7: statement 'a' has no sql");
    EXPECT_EQ(error("component: c\nmigrations: []\non: {A: [{name: a, sql: SELECT 1}]}\n"),
              ":2:13: migrations must be a non-empty list (each with sql, and optionally description and postgresql)");
    EXPECT_EQ(error("component: c\nmigrations: [{sql: CREATE TABLE t (x INT)}]\non:\n  A:\n    - {name: a, sql: SELECT 1}\n"
                    "    - {name: a, sql: SELECT 2}\n"),
              ":6:14: statement 'a' is named twice in A");
    const std::string missing_table =
        error("component: c\nmigrations: [{sql: CREATE TABLE t (x INT)}]\non:\n  A:\n    - name: a\n      sql: "
              "INSERT INTO nope VALUES (:version)\n");
    EXPECT_NE(missing_table.find(":6:12: statement 'a' does not compile against the schema"), std::string::npos)
        << missing_table;
    EXPECT_NE(missing_table.find("no such table: nope"), std::string::npos) << missing_table;
    EXPECT_NE(error("component: c\nmigrations: [{sql: [}\n").find(":2:"), std::string::npos);
}

// --- fanoutd --check-config: the definition and its statements, without a server --

class SqlConfigCheckConfig : public ::testing::Test {
protected:
    /// fanoutd --check-config with the plugin on `connection` and `definition`.
    RunResult check(const std::string& definition, const std::string& connection) {
        definition_ = dir_.write("projection.yaml", definition);
        return check_file(definition_, connection);
    }
    RunResult check_file(const std::filesystem::path& definition, const std::string& connection) {
        const auto config = dir_.write("fanoutd.yaml", "kafka:\n  brokers: 127.0.0.1:1\nplugins:\n"
                                                       "  - name: projection\n    type: library\n    path: " +
                                                           yaml_quote((bin_dir().parent_path() / "lib" /
                                                                       "libfanout_sql_config.so")
                                                                          .string()) +
                                                           "\n    topics: [posts]\n    options:\n      connection: " +
                                                           yaml_quote(connection) + "\n      definition: " +
                                                           yaml_quote(definition.string()) + "\n");
        return run_command({(bin_dir() / "fanoutd").string(), "--check-config", "--config", config.string()},
                           std::chrono::seconds(30));
    }
    /// The lines of `output` that start with the definition's path, without it.
    std::vector<std::string> problems(const std::string& output) const {
        std::vector<std::string> out;
        std::istringstream in(output);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(definition_.string(), 0) == 0) out.push_back(line.substr(definition_.string().size()));
        }
        return out;
    }

    /// A problem line: its place and message, then details found further on.
    struct Problem {
        std::string start;
        std::vector<std::string> details = {};
    };
    /// fanoutd --check-config exits 78 and reports exactly `expected`, in order.
    void expect_refused(const std::string& definition, const std::string& connection,
                        const std::vector<Problem>& expected) {
        const RunResult r = check(definition, connection);
        EXPECT_EQ(r.exit_code, 78) << r.output;
        const auto found = problems(r.output);
        ASSERT_EQ(found.size(), expected.size()) << r.output;
        for (std::size_t i = 0; i < found.size(); ++i) {
            EXPECT_EQ(found[i].rfind(expected[i].start, 0), 0u) << found[i];
            for (const auto& detail : expected[i].details) {
                EXPECT_NE(found[i].find(detail), std::string::npos) << found[i];
            }
        }
    }

    std::string sqlite() const { return "sqlite:" + (dir_ / "never-created.db").string(); }

    TempDir dir_;
    std::filesystem::path definition_;
};

constexpr const char* k_two_tables = R"(component: c
migrations:
  - description: two tables
    sql:
      - CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)
      - CREATE TABLE u (id TEXT PRIMARY KEY)
on:
)";

TEST_F(SqlConfigCheckConfig, TheShippedProjectionsCompileAgainstTheirOwnSchema) {
    for (const char* name : {"read_model.yaml", "analytics.yaml", "likes_per_author.yaml"}) {
        const auto file = std::filesystem::path(FANOUT_SOURCE_DIR) / "config" / "projections" / name;
        const RunResult r = check_file(file, sqlite());
        EXPECT_EQ(r.exit_code, 0) << name << ":\n" << r.output;
        EXPECT_NE(r.output.find("applied to an empty SQLite database"), std::string::npos) << r.output;
    }
    EXPECT_FALSE(std::filesystem::exists(dir_ / "never-created.db")) << "--check-config touched the database";
}

TEST_F(SqlConfigCheckConfig, EveryStatementThatDoesNotCompileIsReportedAtItsLineAndExits78) {
    expect_refused(std::string(k_two_tables) +
                       "  A:\n"
                       "    - name: fine\n"
                       "      sql: UPDATE t SET n = n + 1 WHERE id = :aggregate_id\n"
                       "    - name: no such column\n"
                       "      sql: UPDATE t SET likes = likes + 1 WHERE id = :aggregate_id\n"
                       "  B:\n"
                       "    - name: no such table\n"
                       "      sql: INSERT INTO posts (id) VALUES (:data.post.id)\n"
                       "    - name: not SQL\n"
                       "      sql: INSRT INTO t VALUES (:version)\n",
                   sqlite(),
                   {{":12:12: statement 'no such column' of A does not compile against the tables the migrations make: ",
                     {"no such column: likes", "(plugin 'projection', "}},
                    {":15:12: statement 'no such table' of B", {"no such table: posts"}},
                    {":17:12: statement 'not SQL' of B", {"syntax error"}}});
}

TEST_F(SqlConfigCheckConfig, AMigrationThatDoesNotRunIsReportedAtItsStatement) {
    expect_refused("component: c\nmigrations:\n  - description: broken\n    sql:\n"
                   "      - CREATE TABLE t (id TEXT PRIMARY KEY)\n"
                   "      - CREATE INDEX t_n ON t (n)\n"
                   "on:\n  A: [{name: a, sql: 'DELETE FROM t WHERE id = :aggregate_id'}]\n",
                   sqlite(),
                   {{":6:9: migration 1 ('broken') does not run on an empty SQLite database: ", {"no such column: n"}}});
}

TEST_F(SqlConfigCheckConfig, UnknownParametersAndShapeMistakesExit78WithTheirPlace) {
    expect_refused(std::string(k_two_tables) + "  A:\n    - name: a\n      sql: DELETE FROM t WHERE id = :aggregateId\n",
                   sqlite(), {{":10:12: statement 'a': unknown parameter :aggregateId"}});
    expect_refused(std::string(k_two_tables) + "  A:\n    - name: a\n      sql: DELETE FROM t\n      when: always\n",
                   "postgresql://u:p@127.0.0.1:1/db", {{":11:7: unknown key 'when' in a statement"}});
}

TEST_F(SqlConfigCheckConfig, OnPostgreSQLItChecksWhatItCanWithoutAServerAndSaysSo) {
    const RunResult r = check(std::string(k_two_tables) + "  A:\n    - name: a\n      sql: DELETE FROM t WHERE id = :aggregate_id\n",
                              "postgresql://fanout:secret@127.0.0.1:1/fanout");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("PostgreSQL SQL is checked by the server only"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("secret"), std::string::npos) << r.output;
}

}  // namespace
