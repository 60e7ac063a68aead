// Lua scripts as exactly-once SQL projections (lua.connection): fanout.sql in
// the batch's transaction with the checkpoints, a failed event's writes
// rolled back while the rest of its batch commits, the sandbox, the script
// limits, and the shipped examples (config/projections/read_model.lua equal
// to sql_read_model, trending_hours.lua). On SQLite and on the PostgreSQL of
// FANOUT_TEST_PG, in-process through the factory fanoutd uses.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "config_error.hpp"
#include "lua/lua_factory.hpp"
#include "lua/lua_kind.hpp"
#include "model.hpp"
#include "plugin_under_test.hpp"
#include "producer.hpp"
#include "projection_test.hpp"
#include "relay_stream.hpp"
#include "test_database.hpp"

using namespace fanout;
using namespace fanout::test;
using fanout::daemon::lua::LuaPluginFactory;

namespace {

const std::filesystem::path k_projections = std::filesystem::path(FANOUT_SOURCE_DIR) / "config" / "projections";

daemon::PluginSettings lua_entry(const std::filesystem::path& script, const std::string& connection,
                                 const std::string& name = "lua-projection") {
    daemon::PluginSettings p;
    p.name = name;
    p.type = "lua";
    p.path = script;
    p.topics = {k_topic};
    p.path_location = {"/etc/fanout/fanoutd.yaml", 12, 11};
    p.options = YAML::Load("{}");
    daemon::lua::LuaSettings lua;
    lua.connection = connection;
    lua.lock_timeout = std::chrono::milliseconds(300);
    lua.instruction_limit = 200'000;
    lua.memory_limit_bytes = 8u << 20;
    p.kind_settings = lua;
    return p;
}

/// A Lua projection made as fanoutd makes it, driven like a pipeline.
class LuaProjectionUnderTest {
public:
    explicit LuaProjectionUnderTest(const daemon::PluginSettings& entry)
        : context_(entry.name), factory_(entry) {
        settings_.kafka.brokers = "127.0.0.1:1";  // never used: a projection sends nothing
        settings_.kafka.properties = {{"log_level", "0"}};
        producer_ = std::make_unique<daemon::SyncProducer>(settings_, "lua-projection-test");
        services_ = std::make_unique<daemon::HostServices>(daemon::HostServices{*producer_});
        plugin_ = factory_.create(context_, *services_);
    }

    std::vector<std::int64_t> assign(const std::vector<int>& partitions) {
        std::vector<TopicPartition> tps;
        for (const int p : partitions) tps.push_back({k_topic, p});
        std::vector<std::int64_t> out;
        for (const PartitionOffset& po : plugin_->checkpointing()->on_assigned(tps)) out.push_back(po.next_offset);
        return out;
    }
    std::vector<Outcome> handle(const std::vector<FakeEvent>& events) {
        std::vector<Outcome> outcomes(events.size());
        fanout::testing::handle_then_settle(*plugin_, fanout::testing::pointers(events), outcomes);
        return outcomes;
    }
    Plugin& plugin() { return *plugin_; }
    std::uint64_t counter(const std::string& name) { return context_.counter(name).value(); }
    std::string describe() const { return factory_.describe(); }

private:
    fanout::testing::FakeContext context_;
    daemon::DaemonSettings settings_;
    std::unique_ptr<daemon::SyncProducer> producer_;
    std::unique_ptr<daemon::HostServices> services_;
    LuaPluginFactory factory_;  // outlives the plugin it made
    std::unique_ptr<Plugin> plugin_;
};

/// A projection of posts with their likes, and a hook per test.
constexpr const char* k_posts_schema = R"lua(
schema = {
  component = "lua_posts",
  migrations = {
    { description = "posts", sql = "CREATE TABLE lua_posts (post_id TEXT PRIMARY KEY, author TEXT NOT NULL, likes BIGINT NOT NULL DEFAULT 0)" },
  },
}
)lua";

class LuaProjection : public ::testing::TestWithParam<DbBackend> {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(GetParam()); }

    std::unique_ptr<LuaProjectionUnderTest> projection(const std::string& body) {
        const auto script = dir_.write("projection.lua", std::string(k_posts_schema) + body);
        return std::make_unique<LuaProjectionUnderTest>(lua_entry(script, db_->connection()));
    }

    std::map<std::string, std::int64_t> likes() {
        std::map<std::string, std::int64_t> out;
        const soci::rowset<soci::row> rows = (db_->session().prepare << "SELECT post_id, likes FROM lua_posts");
        for (const soci::row& r : rows) out[r.get<std::string>(0)] = static_cast<std::int64_t>(r.get<long long>(1));
        return out;
    }
    std::int64_t checkpoint(int partition) {
        return db_->checkpoint("lua_posts_checkpoints", "fanout.lua-projection", k_topic, partition);
    }

    TempDir dir_;
    std::unique_ptr<TestDatabase> db_;
};

constexpr const char* k_counting = R"lua(
function on_event(event)
  if event.type == "PostCreatedEvent" then
    fanout.sql.exec("INSERT INTO lua_posts (post_id, author) VALUES (:id, :author)",
                    { id = event.aggregate_id, author = event.data.author })
  elseif event.type == "PostLikedEvent" then
    fanout.sql.exec("UPDATE lua_posts SET likes = likes + 1 WHERE post_id = :id", { id = event.aggregate_id })
  elseif event.type == "MessageUpdatedEvent" then
    -- Reads this batch's own writes: one transaction.
    local row = fanout.sql.query("SELECT post_id, author, likes, NULL AS missing FROM lua_posts WHERE post_id = :id",
                                 { id = event.aggregate_id })[1]
    assert(row.author == "alice" and math.type(row.likes) == "integer" and row.missing == nil,
           "row: " .. tostring(row.author) .. " " .. tostring(row.likes))
    fanout.sql.exec("UPDATE lua_posts SET likes = :n WHERE post_id = :id", { n = row.likes * 10, id = row.post_id })
  end
end
)lua";

TEST_P(LuaProjection, WritesCommitWithTheCheckpointSoAReplayCountsNothingTwice) {
    PartitionEvents e;
    std::vector<FakeEvent> batch = {e.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})")};
    for (int i = 0; i < 20; ++i) batch.push_back(e.next("PostLikedEvent", "p1", i + 2));
    batch.push_back(e.next("MessageUpdatedEvent", "p1", 22, R"({"message":"x"})"));
    batch.push_back(e.next("CommentAddedEvent", "p1", 23, R"({"commentId":"c"})"));  // writes nothing: ignored
    {
        auto first = projection(k_counting);
        EXPECT_EQ(first->assign({0}), std::vector<std::int64_t>{k_no_checkpoint});
        const auto outcomes = first->handle(batch);
        ASSERT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));
        EXPECT_EQ(first->counter("applied"), 22u);
        EXPECT_EQ(first->counter("ignored"), 1u);
    }
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p1", 200}}));
    // A restart after the commit: Kafka's offset lagged, the batch comes again.
    auto second = projection(k_counting);
    EXPECT_EQ(second->assign({0}), std::vector<std::int64_t>{23});
    EXPECT_TRUE(all_done(second->handle(batch)));
    EXPECT_EQ(second->counter("duplicates"), 23u);
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p1", 200}}));
    EXPECT_EQ(checkpoint(0), 23);
}

TEST_P(LuaProjection, AStatementTheDatabaseRefusesDeadLettersItsEventAndTheRestOfTheBatchCommits) {
    auto p = projection(k_counting);
    p->assign({0, 1});
    PartitionEvents zero(0), one(1);
    const std::vector<FakeEvent> batch = {
        zero.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})"),
        zero.next("PostLikedEvent", "p1", 2),
        zero.next("PostCreatedEvent", "bad", 1, R"({"title":"no author"})"),  // author NOT NULL
        zero.next("PostLikedEvent", "p1", 3),  // after the poison in its partition: comes again
        one.next("PostCreatedEvent", "p9", 1, R"({"author":"ivy"})"),
        one.next("PostLikedEvent", "p9", 2),
    };
    const auto outcomes = p->handle(batch);
    ASSERT_EQ(kinds(outcomes), (std::vector<std::string>{"done", "done", "reject", "retry_later", "done", "done"}))
        << ::testing::PrintToString(describe(outcomes));
    EXPECT_NE(outcomes[2].reason().find("projection.lua:11: statement failed: INSERT INTO lua_posts"),
              std::string::npos)
        << outcomes[2].reason();
    EXPECT_NE(outcomes[2].reason().find("author"), std::string::npos) << outcomes[2].reason();
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p1", 1}, {"p9", 1}}));
    EXPECT_EQ(checkpoint(0), 2) << "held at the poison event until it is dead-lettered";
    EXPECT_EQ(checkpoint(1), 2);
    // The host dead-letters the poison and delivers the rest again.
    EXPECT_TRUE(all_done(p->handle({batch[3]})));
    EXPECT_EQ(likes().at("p1"), 2);
    EXPECT_EQ(checkpoint(0), 4);
    EXPECT_EQ(p->counter("rejected"), 1u);
}

TEST_P(LuaProjection, ARejectedOrFailingEventLeavesNoWritesAndTheOthersKeepTheirs) {
    auto p = projection(R"lua(
function on_event(event)
  fanout.sql.exec("INSERT INTO lua_posts (post_id, author) VALUES (:id, 'someone')", { id = event.aggregate_id })
  fanout.sql.exec("UPDATE lua_posts SET likes = likes + 1 WHERE post_id = :id", { id = event.aggregate_id })
  if event.type == "PostRemovedEvent" then return event:reject("removals are refused here") end
  if event.type == "MessageUpdatedEvent" then error("cannot handle " .. event.type) end
  if event.type == "CommentRemovedEvent" then
    -- A caught SQL failure still fails the event: the transaction is the batch's.
    local ok = pcall(fanout.sql.query, "INSERT INTO lua_posts (post_id, author) VALUES (:id, NULL) RETURNING post_id",
                     { id = "x" })
    assert(not ok)
  end
end
)lua");
    p->assign({0, 1, 2, 3});
    PartitionEvents a(0), b(1), c(2), d(3);
    const std::vector<FakeEvent> batch = {
        a.next("PostCreatedEvent", "p1", 1),   b.next("PostRemovedEvent", "p2", 1),
        c.next("MessageUpdatedEvent", "p3", 1), d.next("CommentRemovedEvent", "p4", 1),
        a.next("PostCreatedEvent", "p5", 2),
    };
    const auto outcomes = p->handle(batch);
    ASSERT_EQ(kinds(outcomes), (std::vector<std::string>{"done", "reject", "failed", "reject", "done"}))
        << ::testing::PrintToString(describe(outcomes));
    EXPECT_EQ(outcomes[1].reason(), "removals are refused here");
    EXPECT_NE(outcomes[2].reason().find("cannot handle MessageUpdatedEvent"), std::string::npos) << outcomes[2].reason();
    EXPECT_NE(outcomes[3].reason().find("statement failed"), std::string::npos) << outcomes[3].reason();
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p1", 1}, {"p5", 1}}));
    EXPECT_EQ(p->counter("rejected"), 2u);
}

/// What the script runs comes from the event: hostile input.
constexpr const char* k_runs_the_event = R"lua(
function on_event(event)
  local params = nil
  if event.data.bad then params = { nope = 1 } end
  fanout.sql.exec(event.data.sql, params)
end
)lua";

TEST_P(LuaProjection, TheSandboxRefusesEveryEscapeThroughSqlAndTheDatabaseKeepsItsState) {
    auto p = projection(k_runs_the_event);
    p->assign({0});
    PartitionEvents e;
    ASSERT_TRUE(all_done(
        p->handle({e.next("X", "p", 1, R"json({"sql":"INSERT INTO lua_posts (post_id, author) VALUES ('p1', 'a')"})json")})));
    struct Escape {
        std::string sql;
        std::string expected;  ///< in the reason
        bool sqlite_only = false;
    };
    const std::vector<Escape> escapes = {
        {"ATTACH DATABASE '/tmp/elsewhere.db' AS other", "ATTACH is not allowed"},
        {"PRAGMA writable_schema = ON", "PRAGMA is not allowed"},
        {"PRAGMA foreign_keys", "PRAGMA is not allowed"},
        {"BEGIN", "BEGIN is not allowed"},
        {"COMMIT", "COMMIT is not allowed"},
        {"ROLLBACK", "ROLLBACK is not allowed"},
        {"SAVEPOINT mine", "SAVEPOINT is not allowed"},
        {"RELEASE fanout_script", "RELEASE is not allowed"},
        {"CREATE TABLE evil (x INT)", "CREATE is not allowed"},
        {"DROP TABLE lua_posts", "DROP is not allowed"},
        {"ALTER TABLE lua_posts ADD COLUMN y INT", "ALTER is not allowed"},
        {"DELETE FROM lua_posts; DROP TABLE lua_posts", "one statement per call"},
        {"UPDATE lua_posts_checkpoints SET next_offset = 0", "lua_posts_checkpoints is Fanout's own table"},
        {"DELETE FROM fanout_schema_history", "fanout_schema_history is Fanout's own table"},
        {"INSERT INTO schema_version (component, version) VALUES ('x', 1)", "schema_version is Fanout's own table"},
        {"WITH gone AS (DELETE FROM lua_posts_checkpoints RETURNING 1) SELECT * FROM gone",
         GetParam() == DbBackend::sqlite ? "syntax error" : "lua_posts_checkpoints is Fanout's own table"},
        {"SELECT load_extension('/tmp/evil.so')", "load_extension is not allowed", true},
        {"SET search_path TO elsewhere", "SET is not allowed"},
        {"SELECT set_config('search_path', 'elsewhere', true)",
         GetParam() == DbBackend::sqlite ? "no such function: set_config" : "set_config is not allowed"},
        {"SELECT pg_advisory_lock(1)",
         GetParam() == DbBackend::sqlite ? "no such function: pg_advisory_lock" : "pg_advisory_lock is not allowed"},
        {"UPDATE lua_posts SET likes = :v", "the statement has no parameter :nope"},
    };
    for (const Escape& escape : escapes) {
        if (escape.sqlite_only && GetParam() != DbBackend::sqlite) continue;
        std::string data = "{\"sql\":" + json_string(escape.sql);
        if (escape.sql.find(":v") != std::string::npos) data += ",\"bad\":true";
        // Delivered again at the same offset, as after a retry.
        const FakeEvent event = PartitionEvents(0, 1).next("X", "p", 2, data + "}");
        const auto outcomes = p->handle({event});
        ASSERT_EQ(kinds(outcomes), std::vector<std::string>{"failed"}) << escape.sql;
        EXPECT_NE(outcomes[0].reason().find(escape.expected), std::string::npos)
            << escape.sql << "\n  reason: " << outcomes[0].reason();
        EXPECT_NE(outcomes[0].reason().find("projection.lua:"), std::string::npos) << outcomes[0].reason();
    }
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p1", 0}}));
    EXPECT_EQ(checkpoint(0), 1);
    EXPECT_FALSE(std::filesystem::exists("/tmp/elsewhere.db"));
}

TEST_P(LuaProjection, TheScriptsInstructionBudgetAndMemoryCapStillApply) {
    auto p = projection(R"lua(
function on_event(event)
  fanout.sql.exec("INSERT INTO lua_posts (post_id, author) VALUES (:id, 'a')", { id = event.aggregate_id })
  if event.type == "Spin" then while true do end end
  if event.type == "Hog" then local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end end
end
)lua");
    p->assign({0, 1, 2});
    PartitionEvents a(0), b(1), c(2);
    const auto outcomes = p->handle({a.next("Spin", "p1", 1), b.next("Hog", "p2", 1), c.next("Fine", "p3", 1)});
    ASSERT_EQ(kinds(outcomes), (std::vector<std::string>{"failed", "failed", "done"}))
        << ::testing::PrintToString(describe(outcomes));
    EXPECT_NE(outcomes[0].reason().find("instruction"), std::string::npos) << outcomes[0].reason();
    EXPECT_NE(outcomes[1].reason().find("memory"), std::string::npos) << outcomes[1].reason();
    EXPECT_EQ(likes(), (std::map<std::string, std::int64_t>{{"p3", 0}}));
}

TEST_P(LuaProjection, ALockedDatabaseRetriesTheBatchAndNeverDeadLetters) {
    auto p = projection(k_counting);
    p->assign({0});
    PartitionEvents e;
    ASSERT_TRUE(all_done(p->handle({e.next("PostCreatedEvent", "p1", 1, R"({"author":"alice"})")})));
    const std::vector<FakeEvent> batch = {e.next("PostLikedEvent", "p1", 2), e.next("PostLikedEvent", "p1", 3)};
    const auto locked = while_locked(*db_, "lua_posts", [&] { return p->handle(batch); });
    EXPECT_EQ(kinds(locked), (std::vector<std::string>{"retry_later", "retry_later"}))
        << ::testing::PrintToString(describe(locked));
    EXPECT_TRUE(all_done(p->handle(batch)));
    EXPECT_EQ(likes().at("p1"), 2);
    EXPECT_EQ(p->counter("rejected"), 0u);
}

TEST_P(LuaProjection, TheReadModelInLuaEqualsSqlReadModel) {
    const std::vector<FakeEvent> events = relay_stream();
    TestDatabase native(GetParam());
    {
        PluginUnderTest plugin({"libfanout_sql_read_model.so", "native"}, native.connection_option(), "fanout.native");
        feed_in_batches(plugin.plugin(), events);
    }
    {
        LuaProjectionUnderTest lua(lua_entry(k_projections / "read_model.lua", db_->connection(), "lua-read-model"));
        feed_in_batches(lua.plugin(), events);
    }
    ReferenceModel reference;
    for (const FakeEvent& e : events) reference.apply(e.payload());
    const Model expected = read_model(native.session()), actual = read_model(db_->session());
    EXPECT_EQ(differences(expected, actual), "");
    EXPECT_EQ(differences(reference.tables(), actual), "");
    EXPECT_GT(actual.posts.size(), 100u);
    EXPECT_GT(actual.comments.size(), 100u);
    EXPECT_GT(actual.removed.size(), 5u);
}

TEST_P(LuaProjection, TrendingCountsPerHourAndKeepsEachHoursLeader) {
    LuaProjectionUnderTest p(lua_entry(k_projections / "trending_hours.lua", db_->connection(), "trending"));
    p.assign({0});
    PartitionEvents e;
    const auto at = [](const std::string& hour) { return "2026-11-03T" + hour + ":15:00.000Z"; };
    std::vector<FakeEvent> batch;
    const auto add = [&](const std::string& type, const std::string& post, std::int64_t version,
                         const std::string& hour) {
        fanout::testing::EventSpec spec{.type = type, .aggregate_id = post, .version = version, .data = "{}"};
        spec.occurred_at = at(hour);
        spec.partition = 0;
        spec.offset = static_cast<std::int64_t>(batch.size());
        batch.emplace_back(spec);
    };
    add("PostLikedEvent", "a", 2, "10");
    add("PostLikedEvent", "b", 2, "10");
    add("CommentAddedEvent", "b", 3, "10");   // b: 1 + 3
    add("PostLikedEvent", "a", 3, "11");
    add("CommentRemovedEvent", "b", 4, "10");  // b: 1 + 3 - 3 = 1, a leads 10 (1, 'a' < 'b')
    add("MessageUpdatedEvent", "a", 4, "11");  // not counted
    const auto outcomes = p.handle(batch);
    ASSERT_TRUE(all_done(outcomes)) << ::testing::PrintToString(describe(outcomes));
    std::map<std::string, std::int64_t> scores;
    const soci::rowset<soci::row> rows =
        (db_->session().prepare << "SELECT hour, post_id, score FROM trending_hours");
    for (const soci::row& r : rows) {
        scores[r.get<std::string>(0) + "/" + r.get<std::string>(1)] = static_cast<std::int64_t>(r.get<long long>(2));
    }
    EXPECT_EQ(scores, (std::map<std::string, std::int64_t>{
                          {"2026-11-03T10/a", 1}, {"2026-11-03T10/b", 1}, {"2026-11-03T11/a", 1}}));
    std::string leader;
    db_->session() << "SELECT post_id FROM trending_leaders WHERE hour = '2026-11-03T10'", soci::into(leader);
    EXPECT_EQ(leader, "a");
    EXPECT_NE(p.describe().find("SQL projection trending"), std::string::npos) << p.describe();
}

INSTANTIATE_TEST_SUITE_P(Backends, LuaProjection, ::testing::Values(DbBackend::sqlite, DbBackend::postgresql),
                         [](const auto& info) { return to_string(info.param); });

// --- What the factory refuses before anything runs ------------------------------------

std::string refusal(const std::string& script_text) {
    TempDir dir;
    const auto script = dir.write("p.lua", script_text);
    try {
        LuaPluginFactory factory(lua_entry(script, "sqlite:" + (dir / "p.db").string()));
    } catch (const daemon::ConfigError& e) {
        return e.what();
    }
    return "accepted";
}

TEST(LuaProjectionConfig, AScriptThatCannotBeAProjectionIsRefusedWithWhy) {
    EXPECT_NE(refusal("function on_event(e) end\n").find("a Lua projection (lua.connection) declares its tables"),
              std::string::npos);
    EXPECT_NE(refusal(std::string(k_posts_schema) + "function on_batch(events) end\n").find("cannot define on_batch"),
              std::string::npos);
    EXPECT_NE(refusal("schema = { component = 'bad name', migrations = {} }\nfunction on_event(e) end\n")
                  .find("schema.component 'bad name'"),
              std::string::npos);
    EXPECT_NE(refusal("schema = { component = 'x', migrations = { { sql = 42 } } }\nfunction on_event(e) end\n")
                  .find("schema.migrations[1].sql: expected SQL text"),
              std::string::npos);
    EXPECT_NE(refusal("schema = { component = 'x', migrations = {}, tables = {} }\nfunction on_event(e) end\n")
                  .find("schema: unknown key 'tables'"),
              std::string::npos);
    EXPECT_EQ(refusal(std::string(k_posts_schema) + "function on_event(e) end\n"), "accepted");
}

TEST(LuaProjectionConfig, CheckConfigTriesTheMigrationsOnSqliteAndSaysWhatItCannotCheckOnPostgresql) {
    TempDir dir;
    const auto good = dir.write("good.lua", std::string(k_posts_schema) + "function on_event(e) end\n");
    const auto broken = dir.write("broken.lua", R"lua(
schema = { component = "b", migrations = {
  { description = "one", sql = "CREATE TABLE t (id TEXT PRIMARY KEY)" },
  { description = "two", sql = { "CREATE INDEX t_x ON t (id)", "CREATE INDEX t_y ON t (y)" } },
} }
function on_event(e) end
)lua");
    const std::string sqlite = "sqlite:" + (dir / "never-created.db").string();
    const auto ok = LuaPluginFactory(lua_entry(good, sqlite)).check();
    EXPECT_TRUE(ok.errors.empty()) << ::testing::PrintToString(ok.errors);
    ASSERT_EQ(ok.notes.size(), 1u);
    EXPECT_EQ(ok.notes[0], "projection lua_posts: 1 migration applied to an empty SQLite database");
    const auto bad = LuaPluginFactory(lua_entry(broken, sqlite)).check();
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_EQ(bad.errors[0], broken.string() +
                                 ": schema.migrations[2] ('two'), statement 2, does not run on an empty SQLite "
                                 "database: no such column: y");
    EXPECT_FALSE(std::filesystem::exists(dir / "never-created.db"));
    const auto pg = LuaPluginFactory(lua_entry(good, "postgresql://fanout:secret@127.0.0.1:1/db")).check();
    EXPECT_TRUE(pg.errors.empty());
    ASSERT_EQ(pg.notes.size(), 1u);
    EXPECT_NE(pg.notes[0].find("does not reach the server"), std::string::npos) << pg.notes[0];
    EXPECT_EQ(LuaPluginFactory(lua_entry(good, "postgresql://fanout:secret@127.0.0.1:1/db")).describe().find("secret"),
              std::string::npos);
}

TEST(LuaProjectionConfig, EmitIsRefusedInAProjectionAndSqlOutsideOne) {
    TempDir dir;
    const auto script = dir.write("p.lua", std::string(k_posts_schema) +
                                               "function on_event(e) fanout.emit('t', 'k', 'v') end\n");
    LuaProjectionUnderTest p(lua_entry(script, "sqlite:" + (dir / "p.db").string()));
    p.assign({0});
    PartitionEvents e;
    const auto outcomes = p.handle({e.next("X", "p", 1)});
    ASSERT_EQ(kinds(outcomes), std::vector<std::string>{"failed"});
    EXPECT_NE(outcomes[0].reason().find("fanout.emit is not available in a SQL projection"), std::string::npos)
        << outcomes[0].reason();
}

}  // namespace
