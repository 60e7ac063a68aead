// post-query's life beside the read model: it never creates the schema, answers
// 503 (never crashes) while the database or its tables are missing, recovers
// without a restart, and stops cleanly on SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "api_fixture.hpp"
#include "schema.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_all = "/api/v1/postLookup/";

class PostQueryLifecycle : public ::testing::TestWithParam<TestBackend> {
protected:
    void SetUp() override { db_ = std::make_unique<ReadModelDb>(GetParam(), dir_.path()); }

    std::unique_ptr<PostQueryProcess> start(std::vector<std::string> extra = {},
                                            const std::string& log_name = "post-query.log") {
        auto p = std::make_unique<PostQueryProcess>(serve_args(db_->connection(), std::move(extra)), dir_ / log_name);
        EXPECT_TRUE(p->start());
        return p;
    }

    TempDir dir_;
    std::unique_ptr<ReadModelDb> db_;
};

TEST_P(PostQueryLifecycle, MissingTablesAnswerServiceUnavailableUntilTheSchemaAppears) {
    auto process = start();
    ApiClient client(process->port());
    EXPECT_EQ(client.get("/healthz").status, 200);
    const auto ready = client.get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.message(), "read model not initialised");
    for (const std::string& target :
         std::vector<std::string>{std::string(k_all), std::string(k_all) + "byAuthor/a",
                                  std::string(k_all) + "withComments", std::string(k_all) + "withLikes/1"}) {
        const auto r = client.get(target);
        EXPECT_EQ(r.status, 503) << target << ": " << r.body;
        EXPECT_EQ(r.message(), "read model not initialised") << target;
    }
    // Client mistakes are still client mistakes.
    EXPECT_EQ(client.get(std::string(k_all) + "byId/nope").status, 400);
    EXPECT_EQ(db_->table_count(), 0) << "post-query must not create the schema";
    EXPECT_TRUE(process->running());

    db_->migrate();  // what the sql_read_model plugin does on start
    EXPECT_EQ(client.get("/readyz").status, 200);
    EXPECT_EQ(client.get(k_all).status, 204);
    db_->add_post(random_uuid(), "a", "m", test_date(1));
    EXPECT_EQ(client.get(k_all).status, 200);
    EXPECT_TRUE(process->wait_for_log("read model not initialised", 1s));
    EXPECT_TRUE(process->wait_for_log("read model available", 1s));
}

TEST_P(PostQueryLifecycle, MigrateFlagCreatesTheSchema) {
    auto process = start({"--migrate"});
    EXPECT_TRUE(process->wait_for_log("read model schema migrated to version", 5s)) << process->log();
    ApiClient client(process->port());
    EXPECT_EQ(client.get("/readyz").status, 200);
    EXPECT_EQ(client.get(k_all).status, 204);
    EXPECT_GT(db_->table_count(), 0);
}

TEST_P(PostQueryLifecycle, SigtermAndSigintStopCleanly) {
    db_->migrate();
    for (const int sig : {SIGTERM, SIGINT}) {
        auto process = start({}, "post-query-" + std::to_string(sig) + ".log");
        ApiClient client(process->port());
        EXPECT_EQ(client.get("/readyz").status, 200);
        process->signal(sig);
        EXPECT_EQ(process->wait_exit(15s), 0) << process->log();
        EXPECT_NE(process->log().find("stopped"), std::string::npos);
    }
}

TEST_P(PostQueryLifecycle, FirstLogLineNamesTheBoundPortAndNoPassword) {
    db_->migrate();
    auto process = start();
    const auto lines = read_lines(dir_ / "post-query.log");
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines[0].find("listening on 127.0.0.1:" + std::to_string(process->port())), std::string::npos)
        << lines[0];
    if (GetParam() == TestBackend::postgresql && db_->connection().find("password=") != std::string::npos) {
        EXPECT_EQ(process->log().find("password=fanout"), std::string::npos) << process->log();
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, PostQueryLifecycle, ::testing::Values(TestBackend::sqlite, TestBackend::postgresql),
                         backend_param_name);

TEST(PostQueryLifecycleSqlite, AMissingDatabaseFileIsReportedAndNeverCreated) {
    TempDir dir;
    const auto path = dir / "not-there.db";
    PostQueryProcess process(serve_args("sqlite:" + path.string()), dir / "post-query.log");
    ASSERT_TRUE(process.start());
    ApiClient client(process.port());
    EXPECT_EQ(client.get("/healthz").status, 200);
    const auto ready = client.get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.message().find("unavailable"), std::string::npos) << ready.body;
    const auto r = client.get(k_all);
    EXPECT_EQ(r.status, 503);
    EXPECT_FALSE(r.message().empty());
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(process.running());

    // The plugin creates it later: post-query picks it up without a restart.
    soci::session writer;
    read_model::open_session(writer, "sqlite:" + path.string());
    read_model::migrate(writer);
    EXPECT_EQ(client.get("/readyz").status, 200);
    EXPECT_EQ(client.get(k_all).status, 204);
}

TEST(PostQueryLifecyclePostgres, AnUnreachableServerIsServiceUnavailableAndTheProcessLives) {
    TempDir dir;
    PostQueryProcess process(serve_args("dbname=fanout user=fanout host=127.0.0.1 port=1 connect_timeout=2"),
                             dir / "post-query.log");
    ASSERT_TRUE(process.start());
    ApiClient client(process.port());
    EXPECT_EQ(client.get("/healthz").status, 200);
    EXPECT_EQ(client.get("/readyz").status, 503);
    const auto r = client.get(std::string(k_all) + "withLikes/3");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.message().find("unavailable"), std::string::npos) << r.body;
    EXPECT_EQ(client.get(std::string(k_all) + "withLikes/-3").status, 400);
    EXPECT_TRUE(process.running());
    EXPECT_TRUE(process.wait_for_log("read model database unavailable", 1s)) << process.log();
}

TEST(PostQueryLifecyclePostgres, ConnectionsKilledByTheServerAreReopenedWithoutClientErrors) {
    TempDir dir;
    ReadModelDb db(TestBackend::postgresql, dir.path());
    db.migrate();
    db.add_post(random_uuid(), "a", "m", test_date(1));
    const std::string app = "pq_kill_" + std::to_string(::getpid());
    PostQueryProcess process(serve_args(db.connection() + " application_name=" + app, {"--threads", "2"}),
                             dir / "post-query.log");
    ASSERT_TRUE(process.start());
    ApiClient client(process.port());
    for (int i = 0; i < 10; ++i) ASSERT_EQ(client.get(k_all).status, 200);

    const auto kill_sessions = [&] {
        int killed = 0;
        db.session() << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :app",
            soci::use(app), soci::into(killed);
        return killed;
    };
    EXPECT_GE(kill_sessions(), 1);
    const auto ready = client.get("/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    for (int i = 0; i < 10; ++i) ASSERT_EQ(client.get(k_all).status, 200);
    EXPECT_GE(kill_sessions(), 1);
    for (int i = 0; i < 10; ++i) {
        const auto r = client.get(k_all);
        EXPECT_EQ(r.status, 200) << r.body;
    }
    EXPECT_TRUE(process.wait_for_log("reconnecting", 1s)) << process.log();
}

}  // namespace
}  // namespace fanout::test
