// Every route of the Query API over a real post-query process, on SQLite and
// on PostgreSQL: the seed's response shape, filters, and bad input.
#include <algorithm>
#include <atomic>
#include <thread>

#include "api_fixture.hpp"

namespace fanout::test {
namespace {

constexpr const char* k_lookup = "/api/v1/postLookup";

class PostQueryRoutes : public PostQueryApiTest {};

TEST_P(PostQueryRoutes, EmptyReadModelAnswersNoContentOnEveryLookup) {
    for (const std::string& target : std::vector<std::string>{
             std::string(k_lookup) + "/", std::string(k_lookup) + "/byId/3fa85f64-5717-4562-b3fc-2c963f66afa6",
             std::string(k_lookup) + "/byAuthor/alice", std::string(k_lookup) + "/withComments",
             std::string(k_lookup) + "/withLikes/0"}) {
        const auto r = get(target);
        EXPECT_EQ(r.status, 204) << target << ": " << r.body;
        EXPECT_EQ(r.body, "") << target;
    }
}

TEST_P(PostQueryRoutes, AllPostsComeWithTheirCommentsInTheSeedShape) {
    const std::string p1 = random_uuid(), p2 = random_uuid(), c1 = random_uuid(), c2 = random_uuid();
    db_->add_post(p1, "alice", "first \"post\" \xE2\x9C\x93", test_date(10), 3);
    db_->add_post(p2, "bob", "second", test_date(20), 0);
    db_->add_comment(c2, p1, "carol", "edited one", test_date(40), true);
    db_->add_comment(c1, p1, "dave", "nice", test_date(30), false);

    const auto r = get(std::string(k_lookup) + "/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
    const auto doc = r.json();
    EXPECT_STREQ(doc["message"].GetString(), "Successfully returned 2 posts!");
    EXPECT_FALSE(doc.HasMember("nextCursor"));
    const auto& posts = doc["posts"];
    ASSERT_EQ(posts.Size(), 2u);

    const auto& first = posts[0];
    EXPECT_EQ(first.MemberCount(), 6u);
    EXPECT_STREQ(first["postId"].GetString(), p1.c_str());
    EXPECT_STREQ(first["author"].GetString(), "alice");
    EXPECT_STREQ(first["message"].GetString(), "first \"post\" \xE2\x9C\x93");
    EXPECT_STREQ(first["datePosted"].GetString(), test_date(10).c_str());
    EXPECT_EQ(first["likes"].GetInt64(), 3);
    const auto& comments = first["comments"];
    ASSERT_EQ(comments.Size(), 2u);
    // by comment date
    EXPECT_STREQ(comments[0]["commentId"].GetString(), c1.c_str());
    EXPECT_STREQ(comments[0]["username"].GetString(), "dave");
    EXPECT_STREQ(comments[0]["comment"].GetString(), "nice");
    EXPECT_STREQ(comments[0]["commentDate"].GetString(), test_date(30).c_str());
    EXPECT_TRUE(comments[0]["edited"].IsFalse());
    EXPECT_STREQ(comments[0]["postId"].GetString(), p1.c_str());
    EXPECT_EQ(comments[0].MemberCount(), 6u);
    EXPECT_TRUE(comments[1]["edited"].IsTrue());

    EXPECT_STREQ(posts[1]["postId"].GetString(), p2.c_str());
    EXPECT_TRUE(posts[1]["comments"].IsArray());
    EXPECT_EQ(posts[1]["comments"].Size(), 0u);

    // Without the trailing slash too, and with the seed's one-post message.
    db_->add_post(random_uuid(), "erin", "third", test_date(50));
    EXPECT_EQ(get(k_lookup).post_ids().size(), 3u);
}

TEST_P(PostQueryRoutes, ByIdReturnsOnePostInAnyGuidSpelling) {
    const std::string id = random_uuid();
    db_->add_post(id, "alice", "hello", test_date(1), 1);
    db_->add_post(random_uuid(), "alice", "other", test_date(2), 1);
    db_->add_comment(random_uuid(), id, "bob", "hi", test_date(3));

    std::string upper = id;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::string digits = id;
    digits.erase(std::remove(digits.begin(), digits.end(), '-'), digits.end());
    for (const std::string& spelling :
         std::vector<std::string>{id, upper, digits, "{" + id + "}", "(" + id + ")", url_encode("{" + id + "}")}) {
        const auto r = get(std::string(k_lookup) + "/byId/" + spelling);
        ASSERT_EQ(r.status, 200) << spelling << ": " << r.body;
        EXPECT_EQ(r.message(), "Successfully returned post!");
        EXPECT_EQ(r.post_ids(), std::vector<std::string>{id});
        EXPECT_EQ(r.json()["posts"][0]["comments"].Size(), 1u);
    }
    EXPECT_EQ(get(std::string(k_lookup) + "/byId/" + random_uuid()).status, 204);
}

TEST_P(PostQueryRoutes, MalformedPostIdsAreBadRequests) {
    for (const std::string& bad : std::vector<std::string>{
             "not-a-uuid", "1234", "3fa85f64-5717-4562-b3fc-2c963f66afaZ", "3fa85f64-5717-4562-b3fc-2c963f66afa6x",
             "3fa85f6457174562b3fc2c963f66afa", "3fa85f64_5717_4562_b3fc_2c963f66afa6", "%00", "%FF%FE",
             "%27%3B%20DROP%20TABLE%20posts%3B--", "{3fa85f64-5717-4562-b3fc-2c963f66afa6)", std::string(5000, 'a')}) {
        const auto r = get(std::string(k_lookup) + "/byId/" + bad);
        EXPECT_EQ(r.status, 400) << bad.substr(0, 60) << ": " << r.body;
        EXPECT_NE(r.message().find("UUID"), std::string::npos) << r.body;
    }
    EXPECT_EQ(get(std::string(k_lookup) + "/byId/%zz").status, 400);
    EXPECT_EQ(get(std::string(k_lookup) + "/byId/%4").status, 400);
}

TEST_P(PostQueryRoutes, ByAuthorMatchesTheWholeNameIncludingEncodedAndUnicodeNames) {
    const std::vector<std::string> authors = {"alice",
                                              "Zo\xC3\xAB \xC3\x85ngstr\xC3\xB6m",
                                              "\xE6\x9D\x8E\xE5\xB0\x8F",
                                              "a/b c+d?e#f",
                                              "o'brien; --",
                                              "100%",
                                              "\xF0\x9F\x98\x80 emoji"};
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < authors.size(); ++i) {
        ids.push_back(random_uuid());
        db_->add_post(ids.back(), authors[i], "post", test_date(static_cast<int>(i)));
    }
    db_->add_post(random_uuid(), "alicia", "not alice's", test_date(100));
    db_->add_post(random_uuid(), "ALICE", "not alice's either", test_date(101));

    for (std::size_t i = 0; i < authors.size(); ++i) {
        const auto r = get(std::string(k_lookup) + "/byAuthor/" + url_encode(authors[i]));
        ASSERT_EQ(r.status, 200) << authors[i] << ": " << r.body;
        EXPECT_EQ(r.post_ids(), std::vector<std::string>{ids[i]}) << authors[i];
        EXPECT_EQ(r.json()["posts"][0]["author"].GetString(), authors[i]);
        EXPECT_EQ(r.message(), "Successfully returned 1 post!");
    }
    // Raw UTF-8 in the request line is accepted as well as percent-encoding.
    const auto raw = get(std::string(k_lookup) + "/byAuthor/\xE6\x9D\x8E\xE5\xB0\x8F");
    EXPECT_EQ(raw.status, 200) << raw.body;
    EXPECT_EQ(get(std::string(k_lookup) + "/byAuthor/nobody").status, 204);
    // A slash that is not encoded is a path separator: no such route.
    EXPECT_EQ(get(std::string(k_lookup) + "/byAuthor/a/b").status, 404);
}

TEST_P(PostQueryRoutes, AuthorsThatAreNotTextAreBadRequests) {
    for (const std::string& bad :
         std::vector<std::string>{"%FF", "%C3", "%C0%AF", "%ED%A0%80", "a%00b", "%zz", "abc%", "%4"}) {
        const auto r = get(std::string(k_lookup) + "/byAuthor/" + bad);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
        EXPECT_FALSE(r.message().empty()) << bad;
    }
}

TEST_P(PostQueryRoutes, WithCommentsReturnsOnlyPostsThatHaveComments) {
    const std::string with1 = random_uuid(), with2 = random_uuid(), without = random_uuid();
    db_->add_post(with1, "a", "m", test_date(1));
    db_->add_post(without, "b", "m", test_date(2));
    db_->add_post(with2, "c", "m", test_date(3));
    db_->add_comment(random_uuid(), with1, "x", "c1", test_date(4));
    db_->add_comment(random_uuid(), with2, "y", "c2", test_date(5));
    db_->add_comment(random_uuid(), with2, "z", "c3", test_date(6));

    const auto r = get(std::string(k_lookup) + "/withComments");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.post_ids(), (std::vector<std::string>{with1, with2}));
    EXPECT_EQ(r.json()["posts"][1]["comments"].Size(), 2u);
    EXPECT_EQ(r.message(), "Successfully returned 2 posts!");
}

TEST_P(PostQueryRoutes, WithLikesReturnsPostsWithAtLeastThatManyLikes) {
    const std::string none = random_uuid(), five = random_uuid(), many = random_uuid();
    db_->add_post(none, "a", "m", test_date(1), 0);
    db_->add_post(five, "a", "m", test_date(2), 5);
    db_->add_post(many, "a", "m", test_date(3), 5000000000LL);

    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/0").post_ids(), (std::vector<std::string>{none, five, many}));
    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/5").post_ids(), (std::vector<std::string>{five, many}));
    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/006").post_ids(), (std::vector<std::string>{many}));
    const auto big = get(std::string(k_lookup) + "/withLikes/5000000000");
    ASSERT_EQ(big.status, 200) << big.body;
    EXPECT_EQ(big.json()["posts"][0]["likes"].GetInt64(), 5000000000LL);
    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/5000000001").status, 204);
    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/9223372036854775807").status, 204);
}

TEST_P(PostQueryRoutes, LikesThatAreNotANonNegativeIntegerAreBadRequests) {
    for (const std::string& bad :
         std::vector<std::string>{"-1", "-0", "abc", "1.5", "1e3", "+5", "%205", "5%20", "0x10", "9223372036854775808",
                                  "99999999999999999999999999999999", "%00", "%FF"}) {
        const auto r = get(std::string(k_lookup) + "/withLikes/" + bad);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
        EXPECT_NE(r.message().find("numberOfLikes"), std::string::npos) << r.body;
    }
}

TEST_P(PostQueryRoutes, RemovedPostsAreNeverReturned) {
    const std::string kept = random_uuid(), removed = random_uuid();
    db_->add_post(kept, "alice", "m", test_date(1), 9);
    db_->add_post(removed, "alice", "m", test_date(2), 9);
    db_->add_comment(random_uuid(), kept, "x", "c", test_date(3));
    db_->add_comment(random_uuid(), removed, "x", "c", test_date(3));
    db_->remove_post(removed);

    for (const std::string& target :
         std::vector<std::string>{std::string(k_lookup) + "/", std::string(k_lookup) + "/byAuthor/alice",
                                  std::string(k_lookup) + "/withComments", std::string(k_lookup) + "/withLikes/1"}) {
        EXPECT_EQ(get(target).post_ids(), std::vector<std::string>{kept}) << target;
    }
    EXPECT_EQ(get(std::string(k_lookup) + "/byId/" + removed).status, 204);
}

TEST_P(PostQueryRoutes, PostsWithOddIdsStillGetTheirCommentsAndPages) {
    // The read model stores whatever id the events carried: quoting must hold.
    const std::vector<std::string> ids = {"odd\"id", "back\\slash", "comma,{brace}", "NULL", " spaced ", "\xC3\xA9"};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        db_->add_post(ids[i], "odd", "m", test_date(static_cast<int>(i)));
        db_->add_comment("c" + std::to_string(i), ids[i], "u", "comment " + std::to_string(i), test_date(100));
    }
    const auto r = get(std::string(k_lookup) + "/byAuthor/odd");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.post_ids(), ids);
    const auto doc = r.json();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ASSERT_EQ(doc["posts"][static_cast<rapidjson::SizeType>(i)]["comments"].Size(), 1u) << ids[i];
        EXPECT_EQ(doc["posts"][static_cast<rapidjson::SizeType>(i)]["comments"][0]["postId"].GetString(), ids[i]);
    }
    std::vector<std::string> walked;
    std::string cursor;
    do {
        const auto page =
            get(std::string(k_lookup) + "/byAuthor/odd?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
        ASSERT_EQ(page.status, 200) << page.body;
        walked.push_back(page.post_ids().at(0));
        cursor = page.next_cursor();
    } while (!cursor.empty());
    EXPECT_EQ(walked, ids);
}

TEST_P(PostQueryRoutes, UnknownRoutesAreNotFoundWithAJsonMessage) {
    for (const std::string& target : std::vector<std::string>{
             "/", "/api", "/api/v1", "/api/v2/postLookup/", "/api/v1/postLookup/byId/", "/api/v1/postLookup/byId",
             "/api/v1/postLookup/nope", "/api/v1/postLookup/byId/3fa85f64-5717-4562-b3fc-2c963f66afa6/extra",
             "/api/v1/postLookup//", "/api/v1//postLookup/", "/api/v1/postLookup/withComments/1", "/healthz/x",
             "/api/v1/postLookup/withLikes/", "/%FF", "/api/v1/postLookup/by%49d/x"}) {
        const auto r = get(target);
        EXPECT_EQ(r.status, 404) << target << ": " << r.body;
        EXPECT_FALSE(r.message().empty()) << target;
        EXPECT_EQ(r.content_type, "application/json; charset=utf-8") << target;
    }
}

TEST_P(PostQueryRoutes, RouteNamesIgnoreCaseLikeTheSeedsAspNetRoutes) {
    const std::string id = random_uuid();
    db_->add_post(id, "alice", "m", test_date(1), 2);
    EXPECT_EQ(get("/api/v1/PostLookup/").post_ids(), std::vector<std::string>{id});
    EXPECT_EQ(get("/API/V1/POSTLOOKUP/BYAUTHOR/alice").post_ids(), std::vector<std::string>{id});
    EXPECT_EQ(get("/api/v1/postlookup/withlikes/2").post_ids(), std::vector<std::string>{id});
    EXPECT_EQ(get("/api/v1/postLookup/byId/" + id + "/").post_ids(), std::vector<std::string>{id});
    // the author itself is case-sensitive
    EXPECT_EQ(get("/api/v1/postLookup/byAuthor/Alice").status, 204);
}

TEST_P(PostQueryRoutes, OtherMethodsAreNotAllowedOnKnownRoutes) {
    const std::string id = random_uuid();
    for (const std::string& method : std::vector<std::string>{"POST", "PUT", "PATCH", "DELETE"}) {
        for (const std::string& target :
             std::vector<std::string>{std::string(k_lookup) + "/", std::string(k_lookup) + "/byId/" + id,
                                      std::string(k_lookup) + "/withComments", std::string(k_lookup) + "/withLikes/abc",
                                      std::string("/healthz")}) {
            const auto r = client_->request(method, target);
            EXPECT_EQ(r.status, 405) << method << " " << target << ": " << r.body;
            EXPECT_EQ(r.allow, "GET, HEAD, OPTIONS") << method << " " << target;
            EXPECT_FALSE(r.message().empty());
        }
        EXPECT_EQ(client_->request(method, "/nowhere").status, 404) << method;
    }
    const auto options = client_->request("OPTIONS", std::string(k_lookup) + "/");
    EXPECT_EQ(options.status, 204);
    EXPECT_EQ(options.allow, "GET, HEAD, OPTIONS");
    const auto head = client_->request("HEAD", std::string(k_lookup) + "/byId/not-a-uuid");
    EXPECT_EQ(head.status, 400);
    EXPECT_EQ(head.body, "");
}

TEST_P(PostQueryRoutes, HealthAndReadinessAnswerOk) {
    const auto health = get("/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, R"({"status":"ok"})");
    const auto ready = get("/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(ready.body, R"({"status":"ready","component":"read_model","generation":0})");
}

TEST_P(PostQueryRoutes, ConcurrentClientsAreAllServed) {
    for (int i = 0; i < 20; ++i) db_->add_post(random_uuid(), i % 2 ? "odd" : "even", "m", test_date(i), i);
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
        clients.emplace_back([&, t] {
            ApiClient client(process_->port());
            for (int i = 0; i < 25; ++i) {
                const std::string target = (i + t) % 3 == 0   ? std::string(k_lookup) + "/?limit=7"
                                           : (i + t) % 3 == 1 ? std::string(k_lookup) + "/byAuthor/odd"
                                                              : std::string(k_lookup) + "/withLikes/10";
                (client.get(target).status == 200 ? ok : failed)++;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 200);
    EXPECT_EQ(failed.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostQueryRoutes, ::testing::Values(TestBackend::sqlite, TestBackend::postgresql),
                         backend_param_name);

}  // namespace
}  // namespace fanout::test
