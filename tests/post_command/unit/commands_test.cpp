// Request bodies: camelCase and PascalCase, and every malformed shape refused
// with a message (the route answers 400).
#include <gtest/gtest.h>

#include "commands.hpp"
#include "uuid.hpp"

using namespace fanout::post_command;

namespace {

template <class T>
T ok(const Parsed<T>& parsed) {  // by value: callers pass temporaries
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << *error;
        return T{};
    }
    return std::get<T>(parsed);
}

template <class T>
std::string error_of(const Parsed<T>& parsed) {
    const auto* error = std::get_if<std::string>(&parsed);
    return error ? *error : std::string("<parsed>");
}

constexpr const char* k_id = "3F2B8C1E-9A4D-4C7E-8F10-2B3C4D5E6F70";

}  // namespace

TEST(PostCommandBodies, CamelCaseAndPascalCaseAreBothAccepted) {
    for (const char* body : {R"({"author":"alice","message":"hi"})", R"({"Author":"alice","Message":"hi"})"}) {
        const auto parsed = ok(parse_new_post(body));
        EXPECT_EQ(parsed.author, "alice") << body;
        EXPECT_EQ(parsed.message, "hi") << body;
    }
}

TEST(PostCommandBodies, EveryCommandReadsItsFields) {
    const auto edit = ok(parse_edit_message(R"({"Message":"m","Username":"u"})"));
    EXPECT_EQ(edit.message, "m");
    EXPECT_EQ(edit.username, "u");
    const auto add = ok(parse_add_comment(R"({"comment":"c","username":"u"})"));
    EXPECT_EQ(add.comment, "c");
    const auto edit_comment =
        ok(parse_edit_comment(std::string(R"({"CommentId":")") + k_id + R"(","Comment":"c","Username":"u"})"));
    EXPECT_EQ(edit_comment.comment_id, "3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70") << "ids are canonical lower case";
    const auto remove = ok(parse_remove_comment(std::string(R"({"commentId":")") + k_id + R"(","username":"u"})"));
    EXPECT_EQ(remove.username, "u");
    EXPECT_EQ(ok(parse_delete_post(R"({"username":"u"})")).username, "u");
}

TEST(PostCommandBodies, UnknownFieldsAreIgnored) {
    EXPECT_EQ(ok(parse_delete_post(R"({"username":"u","reason":"spam","n":1})")).username, "u");
}

TEST(PostCommandBodies, MalformedBodiesAreRefusedWithAMessage) {
    EXPECT_EQ(error_of(parse_new_post("")), "a JSON request body is required");
    EXPECT_NE(error_of(parse_new_post("{bad")).find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(parse_new_post(R"({"author":"a","message":"m"} trailing)")).find("not valid JSON"),
              std::string::npos);
    EXPECT_EQ(error_of(parse_new_post(R"(["author","message"])")), "request body must be a JSON object");
    EXPECT_EQ(error_of(parse_new_post(R"("text")")), "request body must be a JSON object");
    EXPECT_EQ(error_of(parse_new_post(R"({"message":"m"})")), "missing required field 'author'");
    EXPECT_EQ(error_of(parse_new_post(R"({"author":null,"message":"m"})")), "missing required field 'author'");
    EXPECT_EQ(error_of(parse_new_post(R"({"author":42,"message":"m"})")), "field 'author' must be a string");
    EXPECT_EQ(error_of(parse_new_post(R"({"author":{"x":1},"message":"m"})")), "field 'author' must be a string");
    EXPECT_EQ(error_of(parse_edit_comment(R"({"commentId":"not-a-uuid","comment":"c","username":"u"})")),
              "field 'commentId' must be a UUID");
    EXPECT_EQ(error_of(parse_remove_comment(R"({"commentId":7,"username":"u"})")),
              "field 'commentId' must be a string");
}

TEST(PostCommandBodies, InvalidUtf8AndDeepNestingAreRefusedNotCrashed) {
    EXPECT_NE(error_of(parse_new_post("{\"author\":\"\xff\xfe\",\"message\":\"m\"}")).find("not valid JSON"),
              std::string::npos);
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    EXPECT_EQ(error_of(parse_new_post(deep)), "request body must be a JSON object");
}

TEST(PostCommandIfMatch, AcceptsQuotedWeakBareAndStar) {
    EXPECT_EQ(parse_if_match("\"5\"").version, 5);
    EXPECT_EQ(parse_if_match("W/\"7\"").version, 7);
    EXPECT_EQ(parse_if_match(" 3 ").version, 3);
    const auto star = parse_if_match("*");
    EXPECT_FALSE(star.version.has_value());
    EXPECT_FALSE(star.error.has_value());
}

TEST(PostCommandIfMatch, RefusesAnythingElse) {
    for (const char* bad : {"", "abc", "\"1\", \"2\"", "-1", "\"\"", "1.5", "99999999999999999999"}) {
        EXPECT_TRUE(parse_if_match(bad).error.has_value()) << bad;
    }
}

TEST(PostCommandUuid, NewIdsAreCanonicalVersion4AndDistinct) {
    const std::string a = new_uuid(), b = new_uuid();
    EXPECT_NE(a, b);
    EXPECT_EQ(canonical_uuid(a), a);
    EXPECT_EQ(a[14], '4');
    EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

TEST(PostCommandUuid, CanonicalFormValidatesAndLowersCase) {
    EXPECT_EQ(canonical_uuid(k_id), "3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70");
    for (const char* bad : {"", "nope", "3f2b8c1e9a4d4c7e8f102b3c4d5e6f70", "3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f7g",
                            "{3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70}", "3f2b8c1e-9a4d-4c7e-8f10_2b3c4d5e6f70"}) {
        EXPECT_FALSE(canonical_uuid(bad).has_value()) << bad;
    }
}
