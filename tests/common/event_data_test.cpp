#include "fanout/common/event_data.hpp"

#include <map>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace fanout::event_data {
namespace {

using namespace std::string_literals;

Problem problem(Kind kind, std::string_view value) { return check(kind, value).problem; }

TEST(EventData, NamesAndTextsAreUtf8WithoutNul) {
    for (const Kind kind : {Kind::name, Kind::text}) {
        EXPECT_TRUE(valid(kind, "maria.lopez"));
        EXPECT_TRUE(valid(kind,
                          "Mar\xc3\xad"
                          "a \xe2\x80\x8f\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"));  // accents, RLM, Hebrew
        EXPECT_TRUE(
            valid(kind, "e\xcc\x81\xcc\x81\xcc\x81 \xf0\x9f\x98\x80 \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb"));
        EXPECT_TRUE(valid(kind, "tab\tand\nnewline and \x01 other controls"));
        EXPECT_EQ(problem(kind, "a\0b"s), Problem::nul);
        EXPECT_EQ(check(kind, "a\0b"s).at, 1u);
        EXPECT_EQ(problem(kind, "abcdefgh\0"s), Problem::nul);  // past the 8-byte fast path
        EXPECT_EQ(problem(kind, ""), Problem::empty);
        EXPECT_EQ(problem(kind, " \t\r\n"), Problem::blank);
        EXPECT_EQ(problem(kind, "\xff"), Problem::invalid_utf8);
        EXPECT_EQ(problem(kind, "ok\xc3"), Problem::invalid_utf8);            // truncated sequence
        EXPECT_EQ(problem(kind, "\xc0\xaf"), Problem::invalid_utf8);          // overlong '/'
        EXPECT_EQ(problem(kind, "\xe0\x80\xaf"), Problem::invalid_utf8);      // overlong, 3 bytes
        EXPECT_EQ(problem(kind, "\xf4\x90\x80\x80"), Problem::invalid_utf8);  // above U+10FFFF
        EXPECT_EQ(problem(kind, "\xc3\x28"), Problem::invalid_utf8);          // bad continuation
        EXPECT_EQ(problem(kind, "x\xed\xb0\x80"), Problem::surrogate);        // "\udc00" decoded
        EXPECT_EQ(check(kind, "x\xed\xb0\x80").at, 1u);
        EXPECT_EQ(problem(kind, "\xed\xa0\x80\xed\xb0\x80"), Problem::surrogate);  // CESU-8 pair
    }
}

TEST(EventData, LimitsAreBytesPerKind) {
    EXPECT_TRUE(valid(Kind::name, std::string(k_max_name_bytes, 'a')));
    EXPECT_EQ(problem(Kind::name, std::string(k_max_name_bytes + 1, 'a')), Problem::too_long);
    std::string emoji;
    for (int i = 0; i < 25; ++i) emoji += "\xf0\x9f\x98\x80";
    EXPECT_TRUE(valid(Kind::name, emoji));  // 100 bytes
    EXPECT_EQ(problem(Kind::name, emoji + "a"), Problem::too_long);
    EXPECT_TRUE(valid(Kind::text, std::string(k_max_text_bytes, 'a')));
    EXPECT_EQ(problem(Kind::text, std::string(k_max_text_bytes + 1, 'a')), Problem::too_long);
    EXPECT_TRUE(valid(Kind::id, std::string(k_max_id_bytes, 'a')));
    EXPECT_EQ(problem(Kind::id, std::string(k_max_id_bytes + 1, 'a')), Problem::too_long);
}

TEST(EventData, IdsHaveNoControlCharacters) {
    EXPECT_TRUE(valid(Kind::id, "b8a1f3a2-6c0e-4d5e-9f1a-2b3c4d5e6f70"));
    EXPECT_TRUE(valid(Kind::id, "p1"));
    EXPECT_TRUE(valid(Kind::id, "post \xc3\xa9"));
    EXPECT_EQ(problem(Kind::id, ""), Problem::empty);
    EXPECT_EQ(problem(Kind::id, "a\tb"), Problem::control);
    EXPECT_EQ(problem(Kind::id, "abcdefghij\x7f"), Problem::control);
    EXPECT_EQ(problem(Kind::id, "a\xc2\x85"), Problem::control);  // U+0085, C1
    EXPECT_EQ(problem(Kind::id, "a\0"s), Problem::nul);
}

TEST(EventData, TimestampsAreRfc3339InUtc) {
    for (const char* ok : {"2026-11-22T09:15:02.417Z", "2026-11-22T09:15:02Z", "2024-02-29t23:59:60.123456789z",
                           "0001-01-01T00:00:00.0Z"}) {
        EXPECT_TRUE(valid(Kind::timestamp, ok)) << ok;
    }
    for (const char* bad :
         {"", "2026-11-22", "2026-11-22 09:15:02Z", "2026-11-22T09:15:02.417+01:00", "2026-11-22T09:15:02.Z",
          "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
          "2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z", "2026-11-22T10:00:61Z", "2026-11-22T10:00:00.1234567890Z",
          "2026-11-22T10:00:00.417Zjunk", "x026-11-22T10:00:00Z"}) {
        EXPECT_EQ(problem(Kind::timestamp, bad), bad[0] == '\0' ? Problem::empty : Problem::bad_timestamp) << bad;
    }
}

TEST(EventData, MessagesNameTheFieldAndWhatWasExpected) {
    const std::string m = explain("field 'author'", Kind::name, check(Kind::name, "a\0b"s));
    EXPECT_EQ(m,
              "field 'author' must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not blank "
              "(found a NUL character at byte 1)");
    EXPECT_NE(explain("data.comment", Kind::text, check(Kind::text, "\xed\xb0\x80")).find("unpaired UTF-16 surrogate"),
              std::string::npos);
    EXPECT_NE(explain("data.datePosted", Kind::timestamp, check(Kind::timestamp, "yesterday")).find("RFC 3339"),
              std::string::npos);
}

TEST(EventData, DataViolationChecksEveryFieldOfTheType) {
    std::map<std::string, std::string, std::less<>> data = {
        {"commentId", "c1"}, {"comment", "Nice"}, {"username", "bob"}, {"commentDate", "2026-11-01T10:01:00.000Z"}};
    const auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
        const auto it = data.find(name);
        if (it == data.end()) return std::nullopt;
        return std::string_view(it->second);
    };
    EXPECT_EQ(data_violation("CommentAddedEvent", lookup), std::nullopt);
    EXPECT_EQ(data_violation("PostLikedEvent", lookup), std::nullopt);
    EXPECT_EQ(data_violation("SomethingElse", lookup), std::nullopt);
    EXPECT_NE(data_violation("PostCreatedEvent", lookup), std::nullopt);  // no author
    data["username"] = "b\0b"s;
    const auto v = data_violation("CommentAddedEvent", lookup);
    ASSERT_TRUE(v);
    EXPECT_NE(v->find("data.username must be a name"), std::string::npos) << *v;
    data.erase("commentId");
    EXPECT_EQ(data_violation("CommentRemovedEvent", lookup), "data.commentId is missing or not a string");
    EXPECT_EQ(data_fields("PostCreatedEvent").size(), 3u);
    EXPECT_EQ(data_fields("CommentUpdatedEvent").size(), 4u);
}

// The fast path reads eight bytes at a time: a NUL, control or non-ASCII
// byte at any position of any length must be found exactly where it is.
TEST(EventData, EveryPositionOfABadByteIsFound) {
    for (std::size_t size = 1; size <= 40; ++size) {
        for (std::size_t at = 0; at < size; ++at) {
            std::string s(size, 'a');
            s[at] = '\0';
            EXPECT_EQ(check(Kind::text, s).at, at);
            s[at] = '\x1f';
            EXPECT_TRUE(valid(Kind::text, s));
            EXPECT_EQ(check(Kind::id, s).at, at);
            s[at] = '\x7f';
            EXPECT_EQ(problem(Kind::id, s), Problem::control);
            s[at] = '\xff';
            EXPECT_EQ(check(Kind::name, size <= k_max_name_bytes ? s : s.substr(0, 100)).at, at);
        }
    }
}

// Agrees with a plain code-point decoder on random byte strings.
TEST(EventData, Utf8CheckAgreesWithAReferenceDecoder) {
    const auto reference = [](std::string_view s) {
        std::size_t i = 0;
        while (i < s.size()) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c == 0) return false;
            if (c < 0x80) {
                ++i;
                continue;
            }
            std::size_t n;
            std::uint32_t cp;
            if (c >= 0xc2 && c <= 0xdf) {
                n = 1;
                cp = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                n = 2;
                cp = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                n = 3;
                cp = c & 0x07;
            } else {
                return false;
            }
            if (i + n >= s.size()) return false;
            for (std::size_t k = 1; k <= n; ++k) {
                const auto d = static_cast<unsigned char>(s[i + k]);
                if ((d & 0xc0) != 0x80) return false;
                cp = (cp << 6) | (d & 0x3f);
            }
            if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
            if (cp >= 0xd800 && cp <= 0xdfff) return false;
            i += n + 1;
        }
        return true;
    };
    std::mt19937 rng(7);
    const char pool[] = {'a',    '\0',   '\x7f', '\x80', '\xbf', '\xc2', '\xc3', '\xdf', '\xe0',
                         '\xed', '\xef', '\xf0', '\xf4', '\xf5', '\xff', '\xa0', '\x90', '\x9f'};
    for (int round = 0; round < 200000; ++round) {
        std::string s(1 + rng() % 12, 'a');
        for (char& c : s) c = pool[rng() % sizeof pool];
        ASSERT_EQ(valid_utf8_without_nul(s), reference(s)) << testing::PrintToString(s);
    }
}

}  // namespace
}  // namespace fanout::event_data
