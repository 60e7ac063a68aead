// The Command API over real HTTP on SQLite and PostgreSQL: every route, the
// events it publishes, and malformed input answered 4xx, never 5xx.
#include <gtest/gtest.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

class PostCommandApi : public ::testing::TestWithParam<StoreKind> {
protected:
    void SetUp() override {
        service = std::make_unique<ServiceUnderTest>(GetParam());
        service->start();
        http = service->client.get();
    }

    std::unique_ptr<ServiceUnderTest> service;
    CommandClient* http = nullptr;
};

}  // namespace

TEST_P(PostCommandApi, EveryRouteWorksAndItsEventsFollowTheContract) {
    const Reply created = http->send("POST", "/api/v1/newPost", R"({"author":"Alice","message":"Hello, Fanout"})");
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.message(), "New post creation request completed successfully!");
    EXPECT_EQ(created.etag, "\"1\"");
    const std::string id = created.field("id");
    ASSERT_EQ(id.size(), 36u);

    Reply r = http->send("PUT", "/api/v1/editMessage/" + id, R"({"message":"Hello again","username":"alice"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Edit message request completed successfully!");
    EXPECT_EQ(r.etag, "\"2\"");
    r = http->like(id);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Like post request completed successfully!");
    r = http->send("PUT", "/api/v1/addComment/" + id, R"({"Comment":"Nice!","Username":"Bob"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Add comment request completed successfully!");
    const std::string comment_id = r.field("commentId");
    ASSERT_EQ(comment_id.size(), 36u);
    r = http->send("PUT", "/api/v1/editComment/" + id,
                   R"({"commentId":")" + comment_id + R"(","comment":"Very nice!","username":"BOB"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Edit comment request completed successfully!");
    r = http->send("DELETE", "/api/v1/removeComment/" + id,
                   R"({"commentId":")" + comment_id + R"(","username":"bob"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Remove comment request completed successfully!");
    r = http->send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"Alice"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.message(), "Delete post request completed successfully!");
    EXPECT_EQ(r.etag, "\"7\"");
    EXPECT_EQ(http->like(id).status, 400) << "a removed post takes no likes";

    const auto events = service->published(7);
    expect_contract(events);
    const auto distinct = distinct_events(events);
    ASSERT_EQ(distinct.size(), 7u);
    const std::vector<std::string> types = {"PostCreatedEvent",  "MessageUpdatedEvent", "PostLikedEvent",
                                            "CommentAddedEvent", "CommentUpdatedEvent", "CommentRemovedEvent",
                                            "PostRemovedEvent"};
    for (std::size_t i = 0; i < types.size(); ++i) {
        EXPECT_EQ(distinct[i].type, types[i]);
        EXPECT_EQ(distinct[i].aggregate_id, id);
    }
    EXPECT_NE(distinct[0].data.find(R"("author":"Alice","message":"Hello, Fanout","datePosted":")"), std::string::npos)
        << distinct[0].data;
    EXPECT_EQ(distinct[1].data, R"({"message":"Hello again"})");
    EXPECT_EQ(distinct[2].data, "{}");
    EXPECT_NE(distinct[3].data.find(R"({"commentId":")" + comment_id +
                                    R"(","comment":"Nice!","username":"Bob","commentDate":")"),
              std::string::npos)
        << distinct[3].data;
    EXPECT_NE(distinct[4].data.find(R"("comment":"Very nice!","username":"Bob","editDate":")"), std::string::npos)
        << distinct[4].data;
    EXPECT_EQ(distinct[5].data, R"({"commentId":")" + comment_id + R"("})");
    EXPECT_EQ(service->store.scalar("SELECT COUNT(*) FROM events"), 7);
}

TEST_P(PostCommandApi, MalformedRequestsAreClientErrorsNeverServerErrors) {
    const std::string id = http->new_post("alice", "target");
    const std::string comment_id = http->add_comment(id, "c", "bob").field("commentId");
    const std::string unknown = "00000000-0000-4000-8000-000000000000";
    const std::string big(70 * 1024, 'x');
    const std::string big_json = R"({"author":"a","message":")" + big + "\"}";
    const std::string deep = std::string(30000, '[') + std::string(30000, ']');
    struct Case {
        std::string method, path, body;
        int status;
    };
    const std::vector<Case> cases = {
        {"POST", "/api/v1/newPost", "", 400},
        {"POST", "/api/v1/newPost", "{bad json", 400},
        {"POST", "/api/v1/newPost", "[1,2,3]", 400},
        {"POST", "/api/v1/newPost", R"({"author":"a"})", 400},
        {"POST", "/api/v1/newPost", R"({"author":"a","message":null})", 400},
        {"POST", "/api/v1/newPost", R"({"author":"a","message":17})", 400},
        {"POST", "/api/v1/newPost", R"({"author":["a"],"message":"m"})", 400},
        {"POST", "/api/v1/newPost", R"({"author":"a","message":"   "})", 400},
        {"POST", "/api/v1/newPost", "{\"author\":\"\xff\",\"message\":\"m\"}", 400},
        {"POST", "/api/v1/newPost", deep, 400},
        {"POST", "/api/v1/newPost", big_json, 413},
        {"PUT", "/api/v1/editMessage/" + id, big_json, 413},
        {"PUT", "/api/v1/addComment/" + id, big_json, 413},
        {"PUT", "/api/v1/likePost/" + id, big, 413},
        {"PUT", "/api/v1/editMessage/not-a-uuid", R"({"message":"m","username":"alice"})", 400},
        {"PUT", "/api/v1/editMessage/" + id + "/extra", R"({"message":"m","username":"alice"})", 400},
        {"PUT", "/api/v1/likePost/", "", 400},
        {"PUT", "/api/v1/likePost/%00", "", 400},
        {"PUT", "/api/v1/likePost/'; DROP TABLE events; --", "", 400},
        {"PUT", "/api/v1/editMessage/" + id, R"({"message":"m"})", 400},
        {"PUT", "/api/v1/editMessage/" + id, R"({"message":"","username":"alice"})", 400},
        {"PUT", "/api/v1/addComment/" + id, R"({"comment":"","username":"bob"})", 400},
        {"PUT", "/api/v1/addComment/" + id, "not json", 400},
        {"PUT", "/api/v1/editComment/" + id, R"({"commentId":"nope","comment":"c","username":"bob"})", 400},
        {"PUT", "/api/v1/editComment/" + id, R"({"comment":"c","username":"bob"})", 400},
        {"PUT", "/api/v1/editComment/" + id,
         R"({"commentId":")" + comment_id + R"(","comment":"   ","username":"bob"})", 400},
        {"DELETE", "/api/v1/removeComment/" + id, R"({"commentId":42,"username":"bob"})", 400},
        {"DELETE", "/api/v1/removeComment/" + id, "", 400},
        {"DELETE", "/api/v1/deletePost/" + id, R"({"user":"alice"})", 400},
        {"DELETE", "/api/v1/deletePost/" + id, "{}", 400},
        // Unknown posts and comments.
        {"PUT", "/api/v1/likePost/" + unknown, "", 404},
        {"PUT", "/api/v1/editMessage/" + unknown, R"({"message":"m","username":"alice"})", 404},
        {"PUT", "/api/v1/addComment/" + unknown, R"({"comment":"c","username":"bob"})", 404},
        {"DELETE", "/api/v1/deletePost/" + unknown, R"({"username":"alice"})", 404},
        {"PUT", "/api/v1/editComment/" + id, R"({"commentId":")" + unknown + R"(","comment":"c","username":"bob"})",
         404},
        {"DELETE", "/api/v1/removeComment/" + id, R"({"commentId":")" + unknown + R"(","username":"bob"})", 404},
        // Unknown routes and methods.
        {"GET", "/api/v1/newPost", "", 404},
        {"PATCH", "/api/v1/likePost/" + id, "", 404},
        {"GET", "/nothing/here", "", 404},
    };
    for (const Case& c : cases) {
        const Reply r = http->send(c.method, c.path, c.body);
        const std::string what = c.method + " " + c.path.substr(0, 80) + " body=" + c.body.substr(0, 60);
        EXPECT_EQ(r.status, c.status) << what << " -> " << r.body.substr(0, 200);
        EXPECT_TRUE(r.is_json_object()) << what << " -> " << r.body.substr(0, 200);
        EXPECT_FALSE(r.message().empty()) << what;
    }
    // Header problems.
    EXPECT_EQ(http->like(id, "not-a-version").status, 400);
    EXPECT_EQ(http->like(id, "\"1\", \"2\"").status, 400);
    // Nothing above changed the post: it is still at version 2 (created + one comment).
    EXPECT_EQ(http->like(id, "\"2\"").status, 200);
    EXPECT_TRUE(service->process->running()) << service->process->log();
}

TEST_P(PostCommandApi, RulesOfThePostAreEnforced) {
    const std::string id = http->new_post("Alice", "rules");
    const std::string comment_id = http->add_comment(id, "mine", "Bob").field("commentId");
    Reply r = http->send("PUT", "/api/v1/editMessage/" + id, R"({"message":"hijack","username":"Mallory"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message(), "You are not allowed to edit the message of a post made by someone else!");
    r = http->send("PUT", "/api/v1/editComment/" + id,
                   R"({"commentId":")" + comment_id + R"(","comment":"x","username":"Alice"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message(), "You are not allowed to edit a comment that was made by another user!");
    r = http->send("DELETE", "/api/v1/removeComment/" + id,
                   R"({"commentId":")" + comment_id + R"(","username":"alice"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message(), "You are not allowed to remove a comment that was made by another user!");
    r = http->send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"Bob"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message(), "You are not allowed to delete a post that was made by someone else!");
    EXPECT_EQ(http->send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"ALICE"})").status, 200);
    r = http->send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"Alice"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message(), "The post has already been removed!");
    EXPECT_EQ(http->add_comment(id, "late", "Bob").message(), "You cannot add a comment to an inactive post!");
    EXPECT_EQ(service->store.scalar("SELECT COUNT(*) FROM events"), 3) << "refused commands store nothing";
}

TEST_P(PostCommandApi, IfMatchIsHonouredAndETagCarriesTheNewVersion) {
    const std::string id = http->new_post("alice", "versions");
    Reply r = http->like(id, "\"1\"");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.etag, "\"2\"");
    r = http->like(id, "\"1\"");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.etag, "\"2\"") << "the current version, to retry with";
    EXPECT_EQ(http->like(id, "W/\"2\"").status, 200);
    EXPECT_EQ(http->like(id, "*").status, 200);
    EXPECT_EQ(http->like("00000000-0000-4000-8000-000000000000", "\"1\"").status, 404);
    EXPECT_EQ(service->store.scalar("SELECT COUNT(*) FROM events"), 4);
}

TEST_P(PostCommandApi, StatusShowsStoredPublishedAndLag) {
    const std::string id = http->new_post("alice", "status");
    http->like(id);
    ASSERT_TRUE(http->wait_published(2, 30s));
    const auto s = http->status();
    EXPECT_EQ(s["lastStoredSequence"].GetInt64(), 2);
    EXPECT_EQ(s["lastPublishedSequence"].GetInt64(), 2);
    EXPECT_EQ(s["lag"].GetInt64(), 0);
    EXPECT_STREQ(s["relay"]["role"].GetString(), "leading");
    EXPECT_STREQ(s["restore"]["state"].GetString(), "idle");
    EXPECT_STREQ(s["topic"].GetString(), service->topic.c_str());
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandApi, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);

// Snapshots with the cache off: every command rebuilds the post from its
// latest snapshot plus the events after it.
class PostCommandSnapshotReplay : public ::testing::TestWithParam<StoreKind> {};

TEST_P(PostCommandSnapshotReplay, PostsRebuiltFromSnapshotsObeyTheSameRules) {
    ServiceUnderTest service(GetParam(), with_yaml("commands: {aggregate_cache_size: 0}\n"
                                                   "event_store: {snapshot_interval: 4}\n"));
    service.start();
    CommandClient& http = *service.client;
    const std::string id = http.new_post("Alice", "snap");
    const std::string comment_id = http.add_comment(id, "first", "Bob").field("commentId");
    for (int i = 0; i < 9; ++i) ASSERT_EQ(http.like(id).status, 200);
    // Version 11 now; snapshots were taken at 4 and 8.
    EXPECT_EQ(service.store.scalar("SELECT version FROM snapshots"), 8);
    Reply r = http.send("PUT", "/api/v1/editComment/" + id,
                        R"({"commentId":")" + comment_id + R"(","comment":"x","username":"Alice"})");
    EXPECT_EQ(r.status, 400) << "authorship survives the snapshot: " << r.body;
    r = http.send("PUT", "/api/v1/editComment/" + id,
                  R"({"commentId":")" + comment_id + R"(","comment":"edited","username":"bob"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.etag, "\"12\"");
    EXPECT_EQ(http.send("DELETE", "/api/v1/deletePost/" + id, R"({"username":"alice"})").status, 200);
    EXPECT_EQ(service.store.scalar("SELECT version FROM snapshots"), 12);
    EXPECT_EQ(http.like(id).status, 400) << "removal survives the snapshot";
    const auto events = service.published(13);
    expect_contract(events);
    EXPECT_EQ(likes_by_post(events)[id], 9);
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandSnapshotReplay, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         store_name);
