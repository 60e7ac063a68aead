// Keyset pagination over a real post-query: limit, nextCursor, and walks that
// must return every post exactly once, in (datePosted, postId) order.
#include <algorithm>
#include <set>
#include <utility>

#include "api_fixture.hpp"

namespace fanout::test {
namespace {

constexpr const char* k_lookup = "/api/v1/postLookup";

class PostQueryPagination : public PostQueryApiTest {
protected:
    /// Follows nextCursor from `first_target` to the end; the post ids in order.
    std::vector<std::string> walk(const std::string& path, int limit, int* pages = nullptr) {
        std::vector<std::string> ids;
        std::string cursor;
        int count = 0;
        for (;;) {
            std::string target = path + "?limit=" + std::to_string(limit);
            if (!cursor.empty()) target += "&cursor=" + cursor;
            const auto r = get(target);
            if (r.status == 204) break;  // only when the very first page is empty
            EXPECT_EQ(r.status, 200) << target << ": " << r.body;
            if (r.status != 200) break;
            const auto page = r.post_ids();
            EXPECT_LE(page.size(), static_cast<std::size_t>(limit));
            EXPECT_EQ(r.message(), "Successfully returned " + std::to_string(page.size()) +
                                       (page.size() == 1 ? " post!" : " posts!"));
            ids.insert(ids.end(), page.begin(), page.end());
            ++count;
            cursor = r.next_cursor();
            if (cursor.empty()) break;
            EXPECT_EQ(page.size(), static_cast<std::size_t>(limit)) << "a short page must be the last";
            if (count > 10000) {
                ADD_FAILURE() << "pagination does not end";
                break;
            }
        }
        if (pages != nullptr) *pages = count;
        return ids;
    }

    /// `n` posts; every third shares its date with the previous one, so the
    /// post id must break ties. Returns (date, id) in the expected order.
    std::vector<std::pair<std::string, std::string>> add_posts(int n, const std::string& author = "author") {
        std::vector<std::pair<std::string, std::string>> keys;
        db_->session().begin();
        for (int i = 0; i < n; ++i) {
            const std::string id = random_uuid();
            const std::string date = test_date(i % 3 == 2 ? i - 1 : i);
            db_->add_post(id, author, "message " + std::to_string(i), date, i % 10);
            if (i % 4 == 0) db_->add_comment(random_uuid(), id, "u", "c", date);
            keys.emplace_back(date, id);
        }
        db_->session().commit();
        std::sort(keys.begin(), keys.end());
        return keys;
    }

    static std::vector<std::string> ids_of(const std::vector<std::pair<std::string, std::string>>& keys) {
        std::vector<std::string> ids;
        for (const auto& k : keys) ids.push_back(k.second);
        return ids;
    }
};

TEST_P(PostQueryPagination, WalkReturnsEveryPostExactlyOnceInOrder) {
    const auto keys = add_posts(237);
    int pages = 0;
    const auto ids = walk(std::string(k_lookup) + "/", 10, &pages);
    EXPECT_EQ(pages, 24);
    EXPECT_EQ(ids, ids_of(keys));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 237u);
}

TEST_P(PostQueryPagination, WalksOfFilteredRoutesReturnEveryMatchExactlyOnce) {
    const auto keys = add_posts(120, "walker");
    add_posts(30, "someone else");
    EXPECT_EQ(walk(std::string(k_lookup) + "/byAuthor/walker", 7), ids_of(keys));
    const auto liked = walk(std::string(k_lookup) + "/withLikes/5", 9);
    EXPECT_EQ(liked.size(), 75u);  // likes i % 10 >= 5: half of 150
    EXPECT_EQ(std::set<std::string>(liked.begin(), liked.end()).size(), liked.size());
    const auto commented = walk(std::string(k_lookup) + "/withComments", 4);
    EXPECT_EQ(commented.size(), 30u + 8u);  // i % 4 == 0 in each batch
    // A page size of one and of exactly the row count.
    EXPECT_EQ(walk(std::string(k_lookup) + "/byAuthor/walker", 1), ids_of(keys));
    int pages = 0;
    EXPECT_EQ(walk(std::string(k_lookup) + "/byAuthor/walker", 120, &pages), ids_of(keys));
    EXPECT_EQ(pages, 1);
}

TEST_P(PostQueryPagination, PostsAddedDuringAWalkDoNotDuplicateOrSkipEarlierOnes) {
    const auto keys = add_posts(30);
    const auto first = get(std::string(k_lookup) + "/?limit=10");
    ASSERT_EQ(first.status, 200);
    // A post older than the cursor appears: it is not repeated, later pages go on.
    db_->add_post(random_uuid(), "late", "m", test_date(0));
    std::vector<std::string> ids = first.post_ids();
    std::string cursor = first.next_cursor();
    while (!cursor.empty()) {
        const auto r = get(std::string(k_lookup) + "/?limit=10&cursor=" + cursor);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto page = r.post_ids();
        ids.insert(ids.end(), page.begin(), page.end());
        cursor = r.next_cursor();
    }
    EXPECT_EQ(ids, ids_of(keys));
}

TEST_P(PostQueryPagination, DefaultPageIsOneHundredPosts) {
    const auto keys = add_posts(150);
    const auto first = get(std::string(k_lookup) + "/");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.post_ids().size(), 100u);
    ASSERT_FALSE(first.next_cursor().empty());
    const auto second = get(std::string(k_lookup) + "/?cursor=" + first.next_cursor());
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(second.post_ids().size(), 50u);
    EXPECT_EQ(second.next_cursor(), "");
    // exactly one full page: no cursor
    const auto all = get(std::string(k_lookup) + "/?limit=150");
    EXPECT_EQ(all.post_ids(), ids_of(keys));
    EXPECT_EQ(all.next_cursor(), "");
    EXPECT_EQ(get(std::string(k_lookup) + "/?limit=1000").post_ids().size(), 150u);
}

TEST_P(PostQueryPagination, LimitsOutsideOneToOneThousandAreBadRequests) {
    add_posts(3);
    for (const std::string& bad :
         std::vector<std::string>{"0", "1001", "100000", "-1", "abc", "", "1.5", "99999999999999999999999", "%201"}) {
        const auto r = get(std::string(k_lookup) + "/?limit=" + bad);
        EXPECT_EQ(r.status, 400) << "limit=" << bad << ": " << r.body;
        EXPECT_NE(r.message().find("limit"), std::string::npos) << r.body;
    }
    EXPECT_EQ(get(std::string(k_lookup) + "/?limit=1&limit=2").status, 400);
    EXPECT_EQ(get(std::string(k_lookup) + "/withLikes/0?limit=0").status, 400);
    EXPECT_EQ(get(std::string(k_lookup) + "/?limit=1").post_ids().size(), 1u);
    EXPECT_EQ(get(std::string(k_lookup) + "/?limit=1000").post_ids().size(), 3u);
}

TEST_P(PostQueryPagination, MalformedCursorsAreBadRequests) {
    add_posts(5);
    const std::string good = get(std::string(k_lookup) + "/?limit=2").next_cursor();
    ASSERT_FALSE(good.empty());
    std::string tampered = good;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    for (const std::string& bad : std::vector<std::string>{
             std::string("!!!"), std::string("abc"), std::string(""), std::string("A"), std::string(300, 'A'),
             good + "A", good + "%3D", std::string("MQ"), std::string("Mgo"), url_encode(good + "=")}) {
        const auto r = get(std::string(k_lookup) + "/?cursor=" + bad);
        EXPECT_EQ(r.status, 400) << "cursor=" << bad << ": " << r.body;
        EXPECT_NE(r.message().find("cursor"), std::string::npos) << r.body;
    }
    // A modified or hand-made cursor either fails validation or is a position: never a 5xx.
    for (const std::string& odd :
         std::vector<std::string>{tampered, std::string("MQoyMDI0LTAxLTAxVDAwOjAwOjAwLjAwMFoKeA")}) {
        const auto t = get(std::string(k_lookup) + "/?cursor=" + odd);
        EXPECT_TRUE(t.status == 400 || t.status == 200 || t.status == 204) << t.status << ": " << t.body;
    }
    // Two different cursors are ambiguous (httplib folds identical repeats into one).
    const std::string other = get(std::string(k_lookup) + "/?limit=1").next_cursor();
    EXPECT_EQ(get(std::string(k_lookup) + "/?cursor=" + good + "&cursor=" + other).status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostQueryPagination, ::testing::Values(TestBackend::sqlite, TestBackend::postgresql),
                         backend_param_name);

}  // namespace
}  // namespace fanout::test
