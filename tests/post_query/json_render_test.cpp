#include "json_render.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace fanout::post_query {
namespace {

Post sample_post() {
    Post p;
    p.post_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    p.author = "Zo\xC3\xAB";
    p.message = "say \"hi\"\n\\ <tag> \x01";
    p.date_posted = "2024-05-01T12:00:00.123Z";
    p.likes = 9007199254740993LL;  // past double precision: must stay an integer
    p.comments.push_back({"c1", p.post_id, "bob", "nice", "2024-05-01T12:01:00.000Z", true});
    return p;
}

TEST(PostQueryJson, PostsUseTheSeedsCamelCaseFields) {
    const std::string body = render_posts("Successfully returned 1 post!", {sample_post()}, std::nullopt);
    EXPECT_EQ(body,
              R"({"message":"Successfully returned 1 post!","posts":[{"postId":"3fa85f64-5717-4562-b3fc-2c963f66afa6",)"
              R"("author":"Zoë","datePosted":"2024-05-01T12:00:00.123Z","message":"say \"hi\"\n\\ <tag> \u0001",)"
              R"("likes":9007199254740993,"comments":[{"commentId":"c1","username":"bob",)"
              R"("commentDate":"2024-05-01T12:01:00.000Z","comment":"nice","edited":true,)"
              R"("postId":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}]}]})");
}

TEST(PostQueryJson, EveryControlCharacterIsEscapedWhereverItIsInAString) {
    // Long texts: rapidjson's vectorised scan covers the aligned 16-byte blocks after the first.
    Post p = sample_post();
    p.message.clear();
    for (char c = 1; c < 0x20; ++c) p.message += std::string(37, 'x') + c;
    p.comments[0].comment = p.message;
    const std::string body = render_posts("m", {p}, std::nullopt);
    for (std::size_t i = 0; i < body.size(); ++i) {
        ASSERT_GE(static_cast<unsigned char>(body[i]), 0x20u) << "a raw control character at byte " << i;
    }
    EXPECT_NE(body.find("x\\u001Ax"), std::string::npos);
    EXPECT_NE(body.find("x\\u001F"), std::string::npos);
}

TEST(PostQueryJson, NextCursorOnlyWhenThereIsAnotherPage) {
    Post p = sample_post();
    p.comments.clear();
    rapidjson::Document doc;
    doc.Parse(render_posts("m", {p, p}, std::string("abc")).c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_STREQ(doc["nextCursor"].GetString(), "abc");
    EXPECT_EQ(doc["posts"].Size(), 2u);
    EXPECT_TRUE(doc["posts"][0]["comments"].IsArray());
    EXPECT_EQ(doc["posts"][0]["comments"].Size(), 0u);
    doc.Parse(render_posts("m", {p}, std::nullopt).c_str());
    EXPECT_FALSE(doc.HasMember("nextCursor"));
}

TEST(PostQueryJson, IllFormedUtf8FromTheDatabaseStillGivesValidJson) {
    Post p = sample_post();
    p.author = "bad\xFF\xC3";
    p.comments[0].comment = "\xED\xA0\x80";
    const std::string body = render_posts("m", {p}, std::nullopt);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.c_str());
    ASSERT_FALSE(doc.HasParseError()) << body;
    EXPECT_STREQ(doc["posts"][0]["author"].GetString(), "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(PostQueryJson, MessagesFollowTheSeed) {
    EXPECT_EQ(list_message(1), "Successfully returned 1 post!");
    EXPECT_EQ(list_message(2), "Successfully returned 2 posts!");
    EXPECT_EQ(k_single_post_message, "Successfully returned post!");
    EXPECT_EQ(render_message("bad \"id\""), R"({"message":"bad \"id\""})");
    EXPECT_EQ(render_status("ok"), R"({"status":"ok"})");
    EXPECT_EQ(render_ready("read_model", 3), R"({"status":"ready","component":"read_model","generation":3})");
}

}  // namespace
}  // namespace fanout::post_query
