#include "query_string.hpp"

#include <gtest/gtest.h>

namespace fanout::post_query {
namespace {

TEST(PostQueryQueryString, DecodesPairsLikeAFormQuery) {
    const QueryParams p = parse_query_params("/api/v1/postLookup/?limit=5&cursor=a%2Bb+c&flag");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p.find("limit")->second, "5");
    EXPECT_EQ(p.find("cursor")->second, "a+b c");
    EXPECT_EQ(p.find("flag")->second, "");
}

TEST(PostQueryQueryString, NoQueryEmptyPairsAndMalformedEscapes) {
    EXPECT_TRUE(parse_query_params("/healthz").empty());
    EXPECT_TRUE(parse_query_params("/x?").empty());
    EXPECT_TRUE(parse_query_params("/x?&&").empty());
    const QueryParams p = parse_query_params("/x?limit=%zz&cursor=%4");
    EXPECT_EQ(p.find("limit")->second, "%zz");  // left for the validator to refuse
    EXPECT_EQ(p.find("cursor")->second, "%4");
    EXPECT_EQ(parse_query_params("/x?a=b=c").find("a")->second, "b=c");
}

TEST(PostQueryQueryString, IdenticalRepeatsCountOnceDifferentOnesStay) {
    EXPECT_EQ(parse_query_params("/x?limit=5&limit=5").count("limit"), 1u);
    EXPECT_EQ(parse_query_params("/x?limit=5&limit=6").count("limit"), 2u);
}

}  // namespace
}  // namespace fanout::post_query
