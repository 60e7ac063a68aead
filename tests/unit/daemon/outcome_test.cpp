#include <gtest/gtest.h>

#include "fanout/plugin.hpp"

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

class FakeEvent final : public fanout::Event {
public:
    explicit FakeEvent(std::int64_t offset) : offset_(offset) {}
    std::string_view topic() const override { return "t"; }
    std::int32_t partition() const override { return 0; }
    std::int64_t offset() const override { return offset_; }
    std::string_view key() const override { return {}; }
    std::span<const fanout::Header> headers() const override { return {}; }
    std::optional<std::string_view> header(std::string_view) const override { return std::nullopt; }
    std::string_view payload() const override { return {}; }
    std::int64_t record_timestamp_ms() const override { return -1; }
    bool envelope_valid() const override { return false; }
    std::string_view event_id() const override { return {}; }
    std::string_view type() const override { return {}; }
    std::string_view aggregate_id() const override { return {}; }
    std::int64_t version() const override { return 0; }
    std::int64_t global_sequence() const override { return 0; }
    std::string_view occurred_at() const override { return {}; }
    std::int64_t occurred_at_ms() const override { return -1; }
    const fanout::DataView& data() const override { throw std::logic_error("unused"); }

private:
    std::int64_t offset_;
};
}  // namespace

TEST(EventPlugin, MapsEachEventToItsOwnOutcome) {
    Counting plugin;
    FakeEvent a(0), b(1), c(2);
    const fanout::Event* events[] = {&a, &b, &c};
    std::vector<Outcome> outcomes(3);
    plugin.handle(events, outcomes);
    EXPECT_EQ(plugin.calls, 3);
    EXPECT_TRUE(outcomes[0].is_done());
    EXPECT_EQ(outcomes[1].kind(), Outcome::Kind::reject);
    EXPECT_TRUE(outcomes[2].is_done());
}
