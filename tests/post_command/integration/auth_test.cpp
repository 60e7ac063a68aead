// Authentication and authorization with a real post-command: who may do
// what with a bearer token, what a refusal looks like (401 with a challenge,
// 403), who is recorded as the actor of each event, and that neither the
// secret nor a token ever reaches the log or an answer.
#include <gtest/gtest.h>
#include <httplib.h>

#include "config.hpp"
#include "fixture.hpp"
#include "token_minter.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

const std::string k_secret = "5be3c0f1a9d24e7b8c6f0a1d2e3f4a5b6c7d8e9f0a1b2c3d";
const std::string k_iss = "https://id.fanout.test", k_aud = "fanout-post-command";

std::string auth_yaml() {
    return "auth:\n  enabled: true\n  hs256_secret_file: jwt.secret\n  issuer: " + k_iss + "\n  audience: " + k_aud +
           "\n  admin_role: fanout-admin\n";
}

std::string token_of(const std::string& user, const std::string& extra = "") {
    return sign_token("HS256", k_secret, claims(k_iss, k_aud, user, extra));
}

using Headers = std::vector<std::pair<std::string, std::string>>;
Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class PostCommandAuth : public ::testing::TestWithParam<StoreKind> {
protected:
    void SetUp() override {
        service = std::make_unique<ServiceUnderTest>(GetParam(), with_yaml(auth_yaml()));
        service->dir.write("jwt.secret", k_secret + "\n");
        service->start();
        http = service->client.get();
    }

    Reply as(const std::string& user, const std::string& method, const std::string& path,
             const std::string& body = "") {
        return http->send(method, path, body, bearer(token_of(user)));
    }

    /// (type, actor) of every event of `post`, in version order.
    std::vector<std::pair<std::string, std::string>> history(const std::string& post) {
        std::vector<std::pair<std::string, std::string>> out;
        soci::rowset<soci::row> rows =
            (service->store.sql().prepare
             << "SELECT type, COALESCE(actor, '') FROM events WHERE aggregate_id = '" + post + "' ORDER BY version");
        for (const soci::row& row : rows) out.emplace_back(row.get<std::string>(0), row.get<std::string>(1));
        return out;
    }

    std::unique_ptr<ServiceUnderTest> service;
    CommandClient* http = nullptr;
};

using Events = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_P(PostCommandAuth, AForgedEditIsForbiddenAndChangesNothing) {
    const Reply created = as("alice", "POST", "/api/v1/newPost", R"({"message":"mine"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.field("id");

    // Bob with a valid token: naming alice in the body, naming himself, or no one.
    for (const std::string body : {R"({"message":"forged","username":"alice"})",
                                   R"({"message":"forged","username":"bob"})", R"({"message":"forged"})"}) {
        const Reply r = as("bob", "PUT", "/api/v1/editMessage/" + id, body);
        EXPECT_EQ(r.status, 403) << body << " " << r.body;
        EXPECT_FALSE(r.message().empty()) << r.body;
    }
    EXPECT_EQ(as("bob", "DELETE", "/api/v1/deletePost/" + id, "{}").status, 403);
    EXPECT_EQ(as("bob", "DELETE", "/api/v1/deletePost/" + id, R"({"username":"alice"})").status, 403);
    EXPECT_EQ(history(id), (Events{{"PostCreatedEvent", "alice"}}));

    const Reply edited = as("alice", "PUT", "/api/v1/editMessage/" + id, R"({"message":"still mine"})");
    EXPECT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(as("alice", "DELETE", "/api/v1/deletePost/" + id, "{}").status, 200);
    EXPECT_EQ(history(id),
              (Events{{"PostCreatedEvent", "alice"}, {"MessageUpdatedEvent", "alice"}, {"PostRemovedEvent", "alice"}}));
}

TEST_P(PostCommandAuth, TheAuthorOfANewPostIsTheTokensUser) {
    EXPECT_EQ(as("alice", "POST", "/api/v1/newPost", R"({"author":"bob","message":"hi"})").status, 403);
    const Reply same = as("alice", "POST", "/api/v1/newPost", R"({"author":"alice","message":"hi"})");
    EXPECT_EQ(same.status, 201) << same.body;
    const Reply absent = as("alice", "POST", "/api/v1/newPost", R"({"message":"hi","author":null})");
    ASSERT_EQ(absent.status, 201) << absent.body;
    const std::string id = absent.field("id");
    std::string author_json;
    service->store.sql() << "SELECT data FROM events WHERE aggregate_id = :id", soci::use(id), soci::into(author_json);
    EXPECT_NE(author_json.find(R"("author":"alice")"), std::string::npos) << author_json;
    // A body that is still malformed gets its 400, not a 403.
    EXPECT_EQ(as("alice", "POST", "/api/v1/newPost", R"({"author":"alice"})").status, 400);
}

TEST_P(PostCommandAuth, OnlyACommentsAuthorEditsOrRemovesIt) {
    const std::string id = as("alice", "POST", "/api/v1/newPost", R"({"message":"post"})").field("id");
    const Reply added = as("bob", "PUT", "/api/v1/addComment/" + id, R"({"comment":"nice"})");
    ASSERT_EQ(added.status, 200) << added.body;
    const std::string comment = added.field("commentId");
    EXPECT_EQ(as("carol", "PUT", "/api/v1/addComment/" + id, R"({"comment":"x","username":"bob"})").status, 403);

    // The post's author is not the comment's.
    const std::string edit = R"({"commentId":")" + comment + R"(","comment":"changed"})";
    EXPECT_EQ(as("alice", "PUT", "/api/v1/editComment/" + id, edit).status, 403);
    EXPECT_EQ(as("alice", "DELETE", "/api/v1/removeComment/" + id, R"({"commentId":")" + comment + "\"}").status, 403);
    // An unknown comment is still 404.
    const std::string missing = R"({"commentId":"3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70","comment":"x"})";
    EXPECT_EQ(as("bob", "PUT", "/api/v1/editComment/" + id, missing).status, 404);

    EXPECT_EQ(as("bob", "PUT", "/api/v1/editComment/" + id, edit).status, 200);
    EXPECT_EQ(as("bob", "DELETE", "/api/v1/removeComment/" + id, R"({"commentId":")" + comment + "\"}").status, 200);
    EXPECT_EQ(history(id), (Events{{"PostCreatedEvent", "alice"},
                                   {"CommentAddedEvent", "bob"},
                                   {"CommentUpdatedEvent", "bob"},
                                   {"CommentRemovedEvent", "bob"}}));
}

TEST_P(PostCommandAuth, LikesAreAttributedToTheTokensUser) {
    const std::string id = as("alice", "POST", "/api/v1/newPost", R"({"message":"post"})").field("id");
    EXPECT_EQ(as("carol", "PUT", "/api/v1/likePost/" + id).status, 200);
    EXPECT_EQ(http->like(id).status, 401);
    EXPECT_EQ(history(id), (Events{{"PostCreatedEvent", "alice"}, {"PostLikedEvent", "carol"}}));
}

TEST_P(PostCommandAuth, AMissingOrInvalidTokenIs401WithABearerChallenge) {
    httplib::Client raw("127.0.0.1", service->process->port());
    const std::string body = R"({"author":"alice","message":"hi"})";
    auto r = raw.Post("/api/v1/newPost", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), R"(Bearer realm="fanout")");
    EXPECT_NE(r->body.find(R"("message":)"), std::string::npos) << r->body;

    const std::string expired = sign_token("HS256", k_secret,
                                           R"({"iss":")" + k_iss + R"(","aud":")" + k_aud +
                                               R"(","sub":"alice","exp":)" + std::to_string(unix_now() - 3600) + "}");
    r = raw.Post("/api/v1/newPost", {{"Authorization", "Bearer " + expired}}, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"),
              R"(Bearer realm="fanout", error="invalid_token", error_description="the token has expired")");
    r = raw.Post("/api/v1/newPost", {{"Authorization", "Basic YWxpY2U6cHc="}}, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    // Every command route asks, and nothing was stored.
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"PUT", "/api/v1/editMessage/3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70"},
             {"PUT", "/api/v1/addComment/3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70"},
             {"PUT", "/api/v1/editComment/3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70"},
             {"DELETE", "/api/v1/removeComment/3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70"},
             {"DELETE", "/api/v1/deletePost/3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70"},
             {"POST", "/api/v1/restoreReadDb"}}) {
        EXPECT_EQ(http->send(method, path, "{}").status, 401) << method << " " << path;
    }
    EXPECT_EQ(service->store.scalar("SELECT COUNT(*) FROM events"), 0);
    // The read-only routes stay open.
    EXPECT_EQ(http->send("GET", "/api/v1/status").status, 200);
    EXPECT_EQ(http->send("GET", "/api/v1/restoreReadDb").status, 200);
}

TEST_P(PostCommandAuth, RestoreReadDbNeedsTheAdminRole) {
    ASSERT_TRUE(service->wait_leading());
    EXPECT_EQ(as("alice", "POST", "/api/v1/restoreReadDb").status, 403);
    const Reply r =
        http->send("POST", "/api/v1/restoreReadDb", "", bearer(token_of("ops", R"(,"roles":["fanout-admin"])")));
    EXPECT_EQ(r.status, 202) << r.body;
}

TEST_P(PostCommandAuth, NeitherTheSecretNorATokenReachesTheLogOrAnAnswer) {
    std::vector<std::string> tokens = {
        sign_token("HS256", std::string(48, 'z'), claims(k_iss, k_aud, "mallory")),  // wrong key
        sign_token("HS256", k_secret, claims("https://other.test", k_aud, "mallory")),
        raw_token(R"({"alg":"none"})", claims(k_iss, k_aud, "mallory")),
        token_of("mallory"),  // valid, forbidden below
    };
    std::vector<std::string> answers;
    const std::string id = as("alice", "POST", "/api/v1/newPost", R"({"message":"post"})").field("id");
    for (const std::string& token : tokens) {
        for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"POST", "/api/v1/newPost", R"({"message":"m"})"},
                 {"PUT", "/api/v1/editMessage/" + id, R"({"message":"m"})"},
                 {"POST", "/api/v1/restoreReadDb", ""}}) {
            answers.push_back(http->send(method, path, body, bearer(token)).body);
        }
    }
    answers.push_back(http->send("GET", "/api/v1/status").body);
    ASSERT_TRUE(service->process->wait_for_log("auth: refused", 10s, 6)) << service->process->log();
    ASSERT_EQ(service->process->stop(), 0);
    const std::string log = service->process->log();
    EXPECT_NE(log.find("authentication on"), std::string::npos) << log;
    for (const std::string& where : answers) EXPECT_EQ(where.find(k_secret), std::string::npos) << where;
    EXPECT_EQ(log.find(k_secret), std::string::npos);
    for (const std::string& token : tokens) {
        const std::string signature = token.substr(token.rfind('.') + 1);
        const std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
        for (const std::string& where : answers) EXPECT_EQ(where.find(payload), std::string::npos) << where;
        EXPECT_EQ(log.find(payload), std::string::npos) << token;
        if (!signature.empty()) {
            EXPECT_EQ(log.find(signature), std::string::npos) << token;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandAuth, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);

TEST(PostCommandAuthOff, TheServiceWarnsOnceAndActsAsTheSeed) {
    ServiceUnderTest service(StoreKind::sqlite);
    service.start();
    const std::string id = service.client->new_post("alice", "open");
    EXPECT_EQ(service.client->send("PUT", "/api/v1/editMessage/" + id, R"({"message":"x","username":"alice"})").status,
              200);
    // No actor without authentication.
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events WHERE actor IS NOT NULL"), 0);
    const std::string log = service.process->log();
    const std::string warning = "authentication is off";
    const auto first = log.find(warning);
    EXPECT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find(warning, first + 1), std::string::npos) << log;
}

TEST(PostCommandAuthConfig, TheProductionStyleConfigRefusesForgedEditsAndMissingTokens) {
    const auto config = std::filesystem::path(FANOUT_SOURCE_DIR) / "config/post-command.yaml";
    TempDir dir;
    const auto secret = dir.write("jwt.secret", k_secret + "\n");
    // Its issuer and audience, as the service reads them.
    fanout::post_command::Overrides overrides;
    overrides.auth_hs256_secret_file = secret.string();
    const fanout::post_command::Settings settings = fanout::post_command::load_settings(config, overrides);
    ASSERT_TRUE(settings.auth.enabled);
    const auto sign = [&](const std::string& user) {
        return sign_token("HS256", k_secret, claims(settings.auth.issuer, settings.auth.audience, user));
    };
    ServiceProcess process(dir / "log", {"--config", config.string(), "--listen", "127.0.0.1:0", "--event-store",
                                         "sqlite:" + (dir / "events.db").string(), "--brokers", brokers(), "--topic",
                                         unique_name("pc-auth"), "--auth-hs256-secret-file", secret.string()});
    const int port = process.start();
    ASSERT_GT(port, 0) << process.log();
    {
        CommandClient http(port);
        EXPECT_EQ(http.send("POST", "/api/v1/newPost", R"({"author":"alice","message":"m"})").status, 401);
        const Reply created = http.send("POST", "/api/v1/newPost", R"({"message":"m"})", bearer(sign("alice")));
        ASSERT_EQ(created.status, 201) << created.body;
        const std::string id = created.field("id");
        EXPECT_EQ(http.send("PUT", "/api/v1/editMessage/" + id, R"({"message":"forged","username":"alice"})",
                            bearer(sign("bob")))
                      .status,
                  403);
        EXPECT_EQ(http.status()["lastStoredSequence"].GetInt64(), 1);
    }
    EXPECT_EQ(process.stop(), 0) << process.log();
}

TEST(PostCommandAuthConfig, KeyProblemsExit78NamingTheFileLineAndField) {
    TempDir dir;
    const auto config = dir.write("pc.yaml",
                                  "kafka: {brokers: x}\nauth:\n  enabled: true\n  hs256_secret_file: "
                                  "nothing-here\n  issuer: i\n  audience: a\n");
    const std::string binary = (bin_dir() / "post-command").string();
    RunResult r = run_command({binary, "--config", config.string(), "--check-config"});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find(config.string() + ":4:22: auth.hs256_secret_file: " + (dir / "nothing-here").string() +
                            ": cannot be read"),
              std::string::npos)
        << r.output;
    // Switched off by the flag, the same file is fine.
    r = run_command({binary, "--config", config.string(), "--auth", "off", "--check-config"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const auto typo = dir.write("typo.yaml", "auth:\n  enabled: yes\n  audiences: a\n");
    r = run_command({binary, "--config", typo.string(), "--check-config"});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find(typo.string() + ":3:3: unknown key 'audiences' in auth"), std::string::npos) << r.output;
    r = run_command({binary, "--auth", "on", "--check-config"});
    EXPECT_EQ(r.exit_code, 78) << r.output;
    EXPECT_NE(r.output.find("--auth on: auth: set exactly one of"), std::string::npos) << r.output;
}
