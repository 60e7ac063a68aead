#include <gtest/gtest.h>

#include "event_record.hpp"

using fanout::daemon::parse_rfc3339_ms;

TEST(Rfc3339, ParsesUtcWithMilliseconds) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00.000Z"), 0);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T10:00:00.123Z"), 1'795'341'600'123);
}

TEST(Rfc3339, AppliesOffsets) {
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T12:00:00.123+02:00"), 1'795'341'600'123);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T09:30:00.123-00:30"), 1'795'341'600'123);
}

TEST(Rfc3339, FractionIsOptional) {
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T10:00:00Z"), 1'795'341'600'000);
}

TEST(Rfc3339, RejectsMalformedText) {
    EXPECT_EQ(parse_rfc3339_ms(""), -1);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22"), -1);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T10:00:00"), -1);  // no zone: ambiguous local time
    EXPECT_EQ(parse_rfc3339_ms("2026-13-22T10:00:00Z"), -1);
    EXPECT_EQ(parse_rfc3339_ms("2026-02-30T10:00:00Z"), -1);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-22T10:00:00Zjunk"), -1);
}
