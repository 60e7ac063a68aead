// Many writers on one post: no lost update. Inside one process commands on a
// post are serialised; across processes the store's unique key catches the
// loser, which retries with a fresh load (or answers 409 when it keeps losing).
#include <barrier>
#include <thread>

#include <gtest/gtest.h>

#include "fixture.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

struct Tally {
    std::atomic<int> ok{0}, conflict{0}, other{0};
};

/// `writers` threads, each with its own connection to one of `ports`, each
/// liking `post` `likes_each` times, all starting together.
void like_concurrently(const std::vector<int>& ports, const std::string& post, int writers, int likes_each,
                       Tally& tally) {
    std::barrier start(writers);
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            CommandClient client(ports[static_cast<std::size_t>(w) % ports.size()]);
            start.arrive_and_wait();
            for (int i = 0; i < likes_each; ++i) {
                const int status = client.like(post).status;
                if (status == 200) {
                    ++tally.ok;
                } else if (status == 409) {
                    ++tally.conflict;
                } else {
                    ++tally.other;
                    ADD_FAILURE() << "like answered " << status;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
}

class PostCommandConcurrentWriters : public ::testing::TestWithParam<StoreKind> {};

}  // namespace

TEST_P(PostCommandConcurrentWriters, FiftyWritersLikingOnePostLoseNoUpdate) {
    ServiceUnderTest service(GetParam());
    service.start();
    const std::string id = service.client->new_post("alice", "popular");
    Tally tally;
    like_concurrently({service.process->port()}, id, 50, 4, tally);
    EXPECT_EQ(tally.ok.load(), 200) << "one process serialises a post's commands: nothing to retry";
    EXPECT_EQ(tally.other.load(), 0);
    EXPECT_EQ(service.store.scalar("SELECT COUNT(*) FROM events WHERE type = 'PostLikedEvent'"), tally.ok.load());
    EXPECT_EQ(service.store.scalar("SELECT MAX(version) FROM events"), tally.ok.load() + 1);
    const auto events = service.published(tally.ok.load() + 1);
    expect_contract(events);
    EXPECT_EQ(likes_by_post(events)[id], tally.ok.load());
}

INSTANTIATE_TEST_SUITE_P(Store, PostCommandConcurrentWriters,
                         ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), store_name);

TEST(PostCommandConcurrentProcesses, TwoInstancesOnOnePostgresqlStoreLoseNoUpdate) {
    // Two post-command processes share a store, as behind a load balancer:
    // their caches go stale, the unique key turns that into conflicts, and
    // the retries (max_retries 10 here) absorb them.
    ServiceUnderTest a(StoreKind::postgresql, with_yaml("commands: {max_retries: 10}\n"));
    a.start();
    ServiceProcess b_process(a.dir / "post-command-b.log", a.args(""));
    const int b_port = b_process.start();
    ASSERT_GT(b_port, 0) << b_process.log();

    const std::string id = a.client->new_post("alice", "shared");
    Tally tally;
    like_concurrently({a.process->port(), b_port}, id, 50, 4, tally);
    EXPECT_EQ(tally.other.load(), 0);
    EXPECT_GT(tally.ok.load(), 0);
    EXPECT_EQ(tally.ok.load() + tally.conflict.load(), 200);
    EXPECT_EQ(a.store.scalar("SELECT COUNT(*) FROM events WHERE type = 'PostLikedEvent'"), tally.ok.load())
        << "every 2xx is exactly one stored like";

    // One relay leads (an advisory lock); the other stands by.
    const auto sa = a.client->status();
    CommandClient b_client(b_port);
    const auto sb = b_client.status();
    const std::string roles = std::string(sa["relay"]["role"].GetString()) + "," + sb["relay"]["role"].GetString();
    EXPECT_TRUE(roles == "leading,standby" || roles == "standby,leading") << roles;

    const auto events = a.published(tally.ok.load() + 1);
    expect_contract(events);
    EXPECT_EQ(likes_by_post(events)[id], tally.ok.load());
    EXPECT_EQ((a.process->log() + b_process.log()).find("never committed"), std::string::npos)
        << "a lost race draws no sequence number, so the relay never waits on a gap";
    EXPECT_EQ(b_process.stop(), 0) << b_process.log();
}
