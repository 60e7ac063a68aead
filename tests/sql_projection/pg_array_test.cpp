// PgArray: PostgreSQL array literals passed as one text parameter.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "fanout/sql/pg_array.hpp"

using fanout::sql::PgArray;

TEST(SqlProjectionPgArray, AnEmptyArrayIsTwoBraces) {
    PgArray a;
    EXPECT_EQ(a.literal(), "{}");
    EXPECT_EQ(a.size(), 0u);
}

TEST(SqlProjectionPgArray, TextIsQuotedAndOnlyQuotesAndBackslashesAreEscaped) {
    PgArray a;
    a.add(std::string_view("plain"));
    a.add(std::string_view("say \"hi\""));
    a.add(std::string_view("back\\slash"));
    a.add(std::string_view("comma, {brace} NULL"));
    a.add(std::string_view(""));
    EXPECT_EQ(a.literal(), R"({"plain","say \"hi\"","back\\slash","comma, {brace} NULL",""})");
    EXPECT_EQ(a.size(), 5u);
}

TEST(SqlProjectionPgArray, NumbersAndNullsAreBare) {
    PgArray a;
    a.add(std::int64_t{42});
    a.add(std::int64_t{-9'223'372'036'854'775'807} - 1);
    a.add_null();
    a.add(std::optional<std::string_view>{});
    a.add(std::optional<std::string_view>{"x"});
    EXPECT_EQ(a.literal(), R"({42,-9223372036854775808,NULL,NULL,"x"})");
}

TEST(SqlProjectionPgArray, ClearStartsAnotherArrayAndLiteralIsStable) {
    PgArray a;
    a.add(std::int64_t{1});
    EXPECT_EQ(a.literal(), "{1}");
    EXPECT_EQ(a.literal(), "{1}");  // closed once
    a.clear();
    a.add(std::string_view("a"));
    a.add(std::string_view("b"));
    EXPECT_EQ(a.literal(), R"({"a","b"})");
    EXPECT_EQ(a.size(), 2u);
}
