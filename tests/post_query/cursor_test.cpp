#include "cursor.hpp"

#include <gtest/gtest.h>

namespace fanout::post_query {
namespace {

const PageKey k_key{"2024-05-01T12:00:00.123Z", "3fa85f64-5717-4562-b3fc-2c963f66afa6"};

TEST(PostQueryCursor, RoundTripsTheKey) {
    const std::string cursor = encode_cursor(k_key);
    EXPECT_EQ(decode_cursor(cursor), k_key);
    for (const char c : cursor) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << "not URL-safe: " << c;
    }
    const PageKey odd{"2024-05-01 12:00:00+02:00 \xC3\xA9", "some-non-uuid-id"};
    EXPECT_EQ(decode_cursor(encode_cursor(odd)), odd);
}

TEST(PostQueryCursor, EveryKeyLengthRoundTrips) {
    for (std::size_t n = 1; n < 40; ++n) {
        const PageKey key{std::string(n, 'd'), std::string(1 + n % 3, 'i')};
        EXPECT_EQ(decode_cursor(encode_cursor(key)), key) << n;
    }
}

TEST(PostQueryCursor, GarbageIsRejected) {
    const std::string good = encode_cursor(k_key);
    for (const std::string& bad :
         std::vector<std::string>{std::string(), std::string("!"), std::string("A"), std::string("AAAAA"), good + "=",
                                  good.substr(0, good.size() - 1) + "+", std::string(300, 'A'),
                                  std::string("MQ"),             // "1": no fields
                                  std::string("MQo"),            // "1\n": one field
                                  std::string("Mgp4CnM"),        // "2\nx\ns": unknown version
                                  std::string("MQoKeA"),         // "1\n\nx": empty date
                                  std::string("MQp4Cg"),         // "1\nx\n": empty id
                                  std::string("MQp4CXkKeg")}) {  // "1\nx\ty\nz": control character
        EXPECT_FALSE(decode_cursor(bad)) << bad;
    }
}

TEST(PostQueryCursor, NonCanonicalPaddingBitsAreRejected) {
    // With a length that is not a multiple of 4 the last character carries
    // unused low bits; flipping one gives the same bytes, which must not pass
    // as a second spelling of the cursor.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int checked = 0;
    for (std::size_t n = 1; n < 8; ++n) {
        std::string cursor = encode_cursor({std::string(n, '2'), "id"});
        if (cursor.size() % 4 == 0) continue;
        const std::size_t v = alphabet.find(cursor.back());
        ASSERT_NE(v, std::string::npos);
        cursor.back() = alphabet[v ^ 1];
        EXPECT_FALSE(decode_cursor(cursor)) << cursor;
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(PostQueryCursor, OverlongFieldsAreRejected) {
    EXPECT_FALSE(decode_cursor(encode_cursor({std::string(65, '2'), "x"})));
    EXPECT_FALSE(decode_cursor(encode_cursor({"2024", std::string(65, 'a')})));
    EXPECT_FALSE(decode_cursor(encode_cursor({"2024\xFF", "x"})));
}

}  // namespace
}  // namespace fanout::post_query
