#pragma once
// Which route a request names, from its method and raw request-target. Pure:
// no I/O, so every path a client can send is unit-tested.
//
// The raw target (not httplib's decoded path) is split first and each segment
// decoded after, so `byAuthor/a%2Fb` is the author "a/b" while `byAuthor/a/b`
// is no route at all. Literal segments match case-insensitively, as ASP.NET
// routing did for the seed's clients; one trailing slash is accepted.
#include <string>
#include <string_view>

namespace fanout::post_query {

enum class Endpoint {
    all_posts,            ///< /api/v1/postLookup/
    post_by_id,           ///< /api/v1/postLookup/byId/{postId}
    posts_by_author,      ///< /api/v1/postLookup/byAuthor/{author}
    posts_with_comments,  ///< /api/v1/postLookup/withComments
    posts_with_likes,     ///< /api/v1/postLookup/withLikes/{numberOfLikes}
    healthz,              ///< /healthz
    readyz,               ///< /readyz
    openapi,              ///< /openapi.json
};

struct RouteMatch {
    enum class Outcome {
        found,               ///< `endpoint` and `argument` are set
        options,             ///< OPTIONS on a known path
        not_found,           ///< no such path
        method_not_allowed,  ///< known path, method other than GET, HEAD or OPTIONS
        bad_request,         ///< known path, argument not decodable; `error` says why
    };
    Outcome outcome = Outcome::not_found;
    Endpoint endpoint = Endpoint::all_posts;
    std::string argument;  ///< the decoded {postId}, {author} or {numberOfLikes}
    std::string error;
};

/// Methods a known path answers, for the Allow header.
inline constexpr std::string_view k_allowed_methods = "GET, HEAD, OPTIONS";

/// `target` is the request-target as sent, query string included.
RouteMatch match_route(std::string_view method, std::string_view target);

}  // namespace fanout::post_query
