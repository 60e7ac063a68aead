// The dead-letter routes' parameters: every bad value is refused naming the
// parameter and what it expects; times are UTC with optional fractions.
#include <gtest/gtest.h>

#include "dead_letter_store.hpp"

using namespace fanout::daemon;

namespace {

std::string refusal(const std::vector<std::pair<std::string, std::string>>& params) {
    try {
        parse_selection(params);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(DeadLetterSelection, UtcTimesParseToMillisecondsAndFormatBack) {
    EXPECT_EQ(parse_utc_ms("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_utc_ms("2026-12-05T10:00:00.5Z"), 1796464800500);
    EXPECT_EQ(parse_utc_ms("2026-12-05T10:00:00.123456Z"), 1796464800123);
    EXPECT_EQ(format_utc_ms(1796464800123), "2026-12-05T10:00:00.123Z");
    EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
    for (const char* bad : {"", "2026-12-05", "2026-12-05T10:00:00", "2026-12-05 10:00:00Z", "2026-13-05T10:00:00Z",
                            "2026-04-31T10:00:00Z", "2026-12-05T24:00:00Z", "2026-12-05T10:00:00.Z",
                            "2026-12-05T10:00:00.12aZ", "2026-12-05T10:00:00+01:00", "yyyy-12-05T10:00:00Z"}) {
        EXPECT_FALSE(parse_utc_ms(bad)) << bad;
    }
}

TEST(DeadLetterSelection, ASelectionReadsEveryParameter) {
    const DeadLetterSelection s = parse_selection({{"plugin", "read-model"},
                                                   {"reason", "timeout|refused"},
                                                   {"since", "2026-12-05T10:00:00Z"},
                                                   {"until", "2026-12-05T11:00:00Z"},
                                                   {"partition", "2"},
                                                   {"from_offset", "10"},
                                                   {"to_offset", "20"}});
    EXPECT_EQ(s.plugin, "read-model");
    ASSERT_TRUE(s.reason);
    EXPECT_TRUE(std::regex_search("connection refused", *s.reason));
    EXPECT_EQ(s.since_ms, 1796464800000);
    EXPECT_EQ(s.until_ms, 1796468400000);
    EXPECT_EQ(s.partition, 2);
    EXPECT_EQ(s.from_offset, 10);
    EXPECT_EQ(s.to_offset, 20);
    const DeadLetterSelection none = parse_selection({});
    EXPECT_TRUE(none.plugin.empty());
    EXPECT_FALSE(none.reason || none.since_ms || none.until_ms || none.partition || none.from_offset || none.to_offset);
}

TEST(DeadLetterSelection, BadParametersAreRefusedNamingTheParameter) {
    EXPECT_EQ(refusal({{"reason", "(unclosed"}}).rfind("parameter 'reason': not a regular expression", 0), 0u);
    EXPECT_EQ(refusal({{"since", "yesterday"}}),
              "parameter 'since': expected a UTC time like 2026-12-05T10:00:00Z, found 'yesterday'");
    EXPECT_EQ(refusal({{"partition", "-1"}}), "parameter 'partition': expected an integer of at least 0, found '-1'");
    EXPECT_EQ(refusal({{"from_offset", "1e3"}}),
              "parameter 'from_offset': expected an integer of at least 0, found '1e3'");
    EXPECT_EQ(refusal({{"to_offset", "99999999999999999999999"}}).rfind("parameter 'to_offset'", 0), 0u);
    EXPECT_EQ(refusal({{"since", "2026-12-05T11:00:00Z"}, {"until", "2026-12-05T10:00:00Z"}}),
              "parameters 'since' and 'until': 'since' must be before 'until'");
    EXPECT_EQ(refusal({{"from_offset", "5"}, {"to_offset", "4"}}),
              "parameters 'from_offset' and 'to_offset': 'from_offset' must not be after 'to_offset'");
}
