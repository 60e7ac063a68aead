#include "router.hpp"

#include <gtest/gtest.h>

namespace fanout::post_query {
namespace {

using Outcome = RouteMatch::Outcome;

TEST(PostQueryRouter, SeedRoutesMatchWithTheirArgument) {
    struct Case {
        std::string target;
        Endpoint endpoint;
        std::string argument;
    };
    const std::vector<Case> cases = {
        {"/api/v1/postLookup/", Endpoint::all_posts, ""},
        {"/api/v1/postLookup", Endpoint::all_posts, ""},
        {"/api/v1/postLookup/?limit=5&cursor=abc", Endpoint::all_posts, ""},
        {"/api/v1/postLookup/byId/3fa85f64-5717-4562-b3fc-2c963f66afa6", Endpoint::post_by_id,
         "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
        {"/api/v1/postLookup/byAuthor/alice", Endpoint::posts_by_author, "alice"},
        {"/api/v1/postLookup/byAuthor/a%2Fb%20c+d?limit=1", Endpoint::posts_by_author, "a/b c+d"},
        {"/api/v1/postLookup/byAuthor/Zo%C3%AB/", Endpoint::posts_by_author, "Zo\xC3\xAB"},
        {"/api/v1/postLookup/withComments", Endpoint::posts_with_comments, ""},
        {"/api/v1/postLookup/withLikes/10", Endpoint::posts_with_likes, "10"},
        {"/API/V1/POSTLOOKUP/WITHLIKES/-1", Endpoint::posts_with_likes, "-1"},
        {"/healthz", Endpoint::healthz, ""},
        {"/healthz/", Endpoint::healthz, ""},
        {"/readyz?x=1", Endpoint::readyz, ""},
    };
    for (const auto& c : cases) {
        const RouteMatch m = match_route("GET", c.target);
        EXPECT_EQ(m.outcome, Outcome::found) << c.target;
        EXPECT_EQ(m.endpoint, c.endpoint) << c.target;
        EXPECT_EQ(m.argument, c.argument) << c.target;
        EXPECT_EQ(match_route("HEAD", c.target).outcome, Outcome::found) << c.target;
    }
}

TEST(PostQueryRouter, UnknownPathsAreNotFound) {
    for (const char* target :
         {"", "*", "http://host/api/v1/postLookup/", "/", "/api", "/api/v1/postLookup/byId", "/api/v1/postLookup/byId/",
          "/api/v1/postLookup/byId/x/y", "/api/v1/postLookup//", "//api/v1/postLookup/", "/api/v1/postLookup/byid%2Fx",
          "/api/v1/postLookup/withComments/x", "/api/v1/postLookup/withLikes", "/api/v2/postLookup/",
          "/api/v1/postLookupX/", "/healthz//"}) {
        EXPECT_EQ(match_route("GET", target).outcome, Outcome::not_found) << target;
        EXPECT_EQ(match_route("POST", target).outcome, Outcome::not_found) << target;
    }
}

TEST(PostQueryRouter, OtherMethodsOnKnownPathsAreNotAllowed) {
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "CONNECT", "TRACE", "get"}) {
        EXPECT_EQ(match_route(method, "/api/v1/postLookup/byId/whatever").outcome, Outcome::method_not_allowed)
            << method;
    }
    EXPECT_EQ(match_route("OPTIONS", "/api/v1/postLookup/").outcome, Outcome::options);
}

TEST(PostQueryRouter, UndecodableArgumentsAreBadRequests) {
    for (const char* target :
         {"/api/v1/postLookup/byAuthor/%", "/api/v1/postLookup/byAuthor/a%zz", "/api/v1/postLookup/withLikes/%4"}) {
        const RouteMatch m = match_route("GET", target);
        EXPECT_EQ(m.outcome, Outcome::bad_request) << target;
        EXPECT_FALSE(m.error.empty());
    }
}

}  // namespace
}  // namespace fanout::post_query
