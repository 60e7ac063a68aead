#include "input.hpp"

#include <gtest/gtest.h>

namespace fanout::post_query {
namespace {

TEST(PostQueryInput, PostIdsInEveryGuidSpellingBecomeCanonical) {
    const std::string canonical = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    for (const std::string& spelling : std::vector<std::string>{
             canonical, std::string("3FA85F64-5717-4562-B3FC-2C963F66AFA6"),
             std::string("3fa85f6457174562b3fc2c963f66afa6"), "{" + canonical + "}", "(" + canonical + ")"}) {
        EXPECT_EQ(parse_post_id(spelling), canonical) << spelling;
    }
    EXPECT_TRUE(is_canonical_post_id(canonical));
    EXPECT_FALSE(is_canonical_post_id("3FA85F64-5717-4562-B3FC-2C963F66AFA6"));
}

TEST(PostQueryInput, MalformedPostIdsAreRejected) {
    for (const std::string& bad : std::vector<std::string>{
             "", "x", "3fa85f64-5717-4562-b3fc-2c963f66afa", "3fa85f64-5717-4562-b3fc-2c963f66afa6a",
             "3fa85f64-5717-4562-b3fc-2c963f66afag", "3fa85f64+5717-4562-b3fc-2c963f66afa6",
             "3fa85f645-717-4562-b3fc-2c963f66afa6", "{3fa85f64-5717-4562-b3fc-2c963f66afa6)",
             "[3fa85f64-5717-4562-b3fc-2c963f66afa6]", " 3fa85f64-5717-4562-b3fc-2c963f66afa6",
             std::string("3fa85f64-5717-4562-b3fc-2c963f66afa\0", 36)}) {
        EXPECT_FALSE(parse_post_id(bad)) << bad;
    }
}

TEST(PostQueryInput, CountsAreNonNegativeDecimalIntegersThatFitInt64) {
    EXPECT_EQ(parse_count("0"), 0);
    EXPECT_EQ(parse_count("42"), 42);
    EXPECT_EQ(parse_count("007"), 7);
    EXPECT_EQ(parse_count("9223372036854775807"), INT64_MAX);
    for (const char* bad : {"", "-1", "-0", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "abc", "9223372036854775808",
                            "18446744073709551616", "99999999999999999999999999"}) {
        EXPECT_FALSE(parse_count(bad)) << bad;
    }
}

TEST(PostQueryInput, PercentDecodingIsStrict) {
    EXPECT_EQ(percent_decode("a%2Fb%20c+d"), "a/b c+d");
    EXPECT_EQ(percent_decode("%e6%9D%8E"), "\xE6\x9D\x8E");
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
    for (const char* bad : {"%", "%4", "%zz", "a%g1", "%%", "abc%2"}) EXPECT_FALSE(percent_decode(bad)) << bad;
}

TEST(PostQueryInput, Utf8ValidationRejectsIllFormedSequences) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("Zo\xC3\xAB \xE6\x9D\x8E \xF0\x9F\x98\x80"));
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    for (const std::string& bad :
         std::vector<std::string>{"\xFF", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                  "\xF8\x88\x80\x80\x80", "a\x80", "\xE6\x9D"}) {
        EXPECT_FALSE(is_valid_utf8(bad)) << bad;
    }
}

TEST(PostQueryInput, RepairReplacesEachBadByteWithTheReplacementCharacter) {
    EXPECT_EQ(to_valid_utf8("ok"), "ok");
    EXPECT_EQ(to_valid_utf8("a\xFF"
                            "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(to_valid_utf8("\xC3"), "\xEF\xBF\xBD");
    EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\xE6\x9D\xE6\x9D\x8E\xED\xA0\x80")));
}

}  // namespace
}  // namespace fanout::post_query
