// post-query follows the live generation of a blue/green rebuild: the pointer
// row in fanout_generations moves, and within about a second every request
// reads the new generation (schema <base>_<component>_g<N> or file <file>.g<N>),
// each request one generation only; a pointer at a generation without tables
// keeps the one served.
#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>

#include "api_fixture.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_all = "/api/v1/postLookup/";
constexpr auto k_follow_deadline = 3s;  // the pointer is read once a second

class PostQueryGenerations : public ::testing::TestWithParam<TestBackend> {
protected:
    void SetUp() override {
        db_ = std::make_unique<ReadModelDb>(GetParam(), dir_.path());
        db_->migrate();
        // PostgreSQL: another component than the default, named by the flag.
        if (GetParam() == TestBackend::postgresql) component_ = "posts_view";
    }

    std::unique_ptr<PostQueryProcess> start() {
        std::vector<std::string> extra;
        if (component_ != "read_model") extra = {"--read-model-component", component_};
        auto p = std::make_unique<PostQueryProcess>(serve_args(db_->connection(), extra), dir_ / "post-query.log");
        EXPECT_TRUE(p->start());
        return p;
    }

    /// Generation `g` with the read model's tables.
    std::unique_ptr<ReadModelDb> make_generation(int g) {
        auto generation = db_->generation(component_, g);
        generation->migrate();
        return generation;
    }

    /// Poll until every post of the answer to `target` is `ids`; the last answer.
    static ApiResponse wait_for_posts(const ApiClient& client, const std::vector<std::string>& ids,
                                      const std::string& target = k_all) {
        const auto deadline = std::chrono::steady_clock::now() + k_follow_deadline;
        ApiResponse r;
        while (std::chrono::steady_clock::now() < deadline) {
            r = client.get(target);
            if (r.status == 200 && r.post_ids() == ids) break;
            std::this_thread::sleep_for(20ms);
        }
        return r;
    }

    static int ready_generation(const ApiClient& client) {
        const ApiResponse r = client.get("/readyz");
        if (r.status != 200) return -1;
        const auto json = r.json();
        return json.HasMember("generation") && json["generation"].IsInt() ? json["generation"].GetInt() : -1;
    }

    TempDir dir_;
    std::unique_ptr<ReadModelDb> db_;
    std::string component_ = "read_model";
};

/// The files process `pid` has open whose path contains `part`.
std::vector<std::string> open_files_named(pid_t pid, const std::string& part) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (!ec && target.find(part) != std::string::npos) found.push_back(target);
    }
    return found;
}

/// The author of the first post of a 200, else "".
std::string author_of(const ApiResponse& r) {
    if (r.status != 200) return "";
    const auto json = r.json();
    if (!json.HasMember("posts") || !json["posts"].IsArray() || json["posts"].Empty()) return "";
    const auto& post = json["posts"][0];
    return post.HasMember("author") && post["author"].IsString() ? post["author"].GetString() : "";
}

/// One post whose single comment names the same generation as its author:
/// the page and its comments were read from one generation.
bool one_generation(const ApiResponse& r) {
    const std::string author = author_of(r);
    if (author.empty()) return false;
    const auto json = r.json();
    const auto& comments = json["posts"][0]["comments"];
    return json["posts"].Size() == 1 && comments.IsArray() && comments.Size() == 1 &&
           comments[0]["comment"].IsString() && author == comments[0]["comment"].GetString();
}

TEST_P(PostQueryGenerations, FollowsTheLiveGenerationAndBack) {
    // The same post in both generations, with what differs naming the generation.
    const std::string shared = random_uuid();
    const std::string only_base = random_uuid();
    db_->add_post(shared, "g0", "m", test_date(1));
    db_->add_comment(random_uuid(), shared, "u", "g0", test_date(2));
    db_->add_post(only_base, "a", "m", test_date(3));
    auto g2 = make_generation(2);
    g2->add_post(shared, "g2", "m", test_date(1));
    g2->add_comment(random_uuid(), shared, "u", "g2", test_date(2));
    const std::string only_g2 = random_uuid();
    g2->add_post(only_g2, "b", "m", test_date(4));

    auto process = start();
    ApiClient client(process->port());
    EXPECT_EQ(client.get(k_all).post_ids(), (std::vector<std::string>{shared, only_base}));
    EXPECT_EQ(ready_generation(client), 0);

    const std::string by_id = std::string(k_all) + "byId/" + shared;
    db_->set_live(component_, 2);
    // Every request during the switch reads one generation, then generation 2.
    const auto switched_by = std::chrono::steady_clock::now() + k_follow_deadline;
    ApiResponse r;
    int mixed = 0;
    while (std::chrono::steady_clock::now() < switched_by) {
        r = client.get(by_id);
        if (!one_generation(r)) ++mixed;
        if (author_of(r) == "g2") break;
    }
    EXPECT_EQ(mixed, 0) << r.body;
    ASSERT_EQ(author_of(r), "g2") << r.body << process->log();
    EXPECT_TRUE(one_generation(r)) << r.body;
    EXPECT_EQ(wait_for_posts(client, {shared, only_g2}).post_ids(), (std::vector<std::string>{shared, only_g2}));
    EXPECT_EQ(client.get(std::string(k_all) + "byAuthor/b").post_ids(), std::vector<std::string>{only_g2});
    EXPECT_EQ(client.get(std::string(k_all) + "withComments").post_ids(), std::vector<std::string>{shared});
    EXPECT_EQ(ready_generation(client), 2);
    EXPECT_TRUE(process->wait_for_log("read model generation switched component=" + component_ + " from=0 to=2", 1s));
    // Concurrent requests: several sessions on generation 2.
    std::atomic<int> in_g2{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
        clients.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                const ApiResponse c = client.get(by_id);
                if (one_generation(c) && author_of(c) == "g2") ++in_g2;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(in_g2.load(), 80);

    db_->set_live(component_, 0);
    EXPECT_EQ(wait_for_posts(client, {shared, only_base}).post_ids(), (std::vector<std::string>{shared, only_base}))
        << process->log();
    const ApiResponse back = client.get(by_id);
    EXPECT_TRUE(one_generation(back)) << back.body;
    EXPECT_EQ(author_of(back), "g0");
    EXPECT_EQ(ready_generation(client), 0);
    if (GetParam() == TestBackend::sqlite) {
        // The retired file is not held open: a rebuild deletes it after its grace period.
        const auto deadline = std::chrono::steady_clock::now() + k_follow_deadline;
        std::vector<std::string> held;
        do {
            held = open_files_named(process->pid(), ".db.g2");
            if (held.empty()) break;
            client.get(k_all);
            std::this_thread::sleep_for(20ms);
        } while (std::chrono::steady_clock::now() < deadline);
        EXPECT_TRUE(held.empty()) << held.front();
    }
}

TEST_P(PostQueryGenerations, APointerAtAMissingGenerationKeepsTheServedOne) {
    const std::string in_base = random_uuid();
    db_->add_post(in_base, "a", "m", test_date(1));
    auto g2 = make_generation(2);
    const std::string in_g2 = random_uuid();
    g2->add_post(in_g2, "b", "m", test_date(2));
    db_->set_live(component_, 2);

    // Already switched when post-query starts: its first request reads generation 2.
    auto process = start();
    ApiClient client(process->port());
    EXPECT_EQ(client.get(k_all).post_ids(), std::vector<std::string>{in_g2});

    db_->set_live(component_, 7);  // not built (yet)
    const std::string warning = "read model generation 7 (fanout_generations, component=" + component_ +
                                ") has no tables; still serving generation 2";
    // The pointer is read at most once a second, when requests come: over
    // three reads, still generation 2, no errors, one warning.
    const auto until = std::chrono::steady_clock::now() + 3500ms;
    while (std::chrono::steady_clock::now() < until) {
        const ApiResponse r = client.get(k_all);
        ASSERT_EQ(r.status, 200) << r.body;
        ASSERT_EQ(r.post_ids(), std::vector<std::string>{in_g2});
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(ready_generation(client), 2);
    const std::string log = process->log();
    std::size_t warnings = 0;
    for (std::size_t at = log.find(warning); at != std::string::npos; at = log.find(warning, at + 1)) ++warnings;
    EXPECT_EQ(warnings, 1u) << log;

    // Its tables appear: followed.
    auto g7 = make_generation(7);
    const std::string in_g7 = random_uuid();
    g7->add_post(in_g7, "c", "m", test_date(3));
    EXPECT_EQ(wait_for_posts(client, {in_g7}).post_ids(), std::vector<std::string>{in_g7}) << process->log();
    EXPECT_EQ(ready_generation(client), 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostQueryGenerations,
                         ::testing::Values(TestBackend::sqlite, TestBackend::postgresql), backend_param_name);

}  // namespace
}  // namespace fanout::test
