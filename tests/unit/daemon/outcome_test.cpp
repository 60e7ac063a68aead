#include <gtest/gtest.h>

#include "fanout/plugin.hpp"
#include "fanout/testing.hpp"

using fanout::Outcome;

TEST(Outcome, DefaultIsDone) {
    Outcome o;
    EXPECT_TRUE(o.is_done());
    EXPECT_EQ(o.kind(), Outcome::Kind::done);
}

TEST(Outcome, CarriesReason) {
    const Outcome retry = Outcome::retry_later("db down");
    EXPECT_EQ(retry.kind(), Outcome::Kind::retry_later);
    EXPECT_EQ(retry.reason(), "db down");
    EXPECT_FALSE(retry.is_done());
    const Outcome reject = Outcome::reject("bad schema");
    EXPECT_EQ(reject.kind(), Outcome::Kind::reject);
    EXPECT_STREQ(fanout::to_string(reject.kind()), "reject");
}

namespace {
class Counting final : public fanout::EventPlugin {
public:
    Outcome on_event(const fanout::Event& e) override {
        ++calls;
        return e.offset() % 2 ? Outcome::reject("odd") : Outcome::done();
    }
    int calls = 0;
};
}  // namespace

TEST(EventPlugin, MapsEachEventToItsOwnOutcome) {
    Counting plugin;
    const fanout::testing::FakeEvent a({.offset = 0}), b({.offset = 1}), c({.offset = 2});
    const fanout::Event* events[] = {&a, &b, &c};
    std::vector<Outcome> outcomes(3);
    plugin.handle(events, outcomes);
    EXPECT_EQ(plugin.calls, 3);
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::reject);
    EXPECT_TRUE(outcomes[2].is_done());
}
