#pragma once
// The read model as post-query sees it: plain values, filled by the repository
// and rendered by json_render.
#include <cstdint>
#include <string>
#include <vector>

namespace fanout::post_query {

struct Comment {
    std::string comment_id;
    std::string post_id;
    std::string username;
    std::string comment;
    std::string comment_date;
    bool edited = false;
};

struct Post {
    std::string post_id;
    std::string author;
    std::string message;
    std::string date_posted;
    std::int64_t likes = 0;
    std::vector<Comment> comments;
};

/// Position of a post in the one order every listing uses: (date_posted, post_id).
struct PageKey {
    std::string date_posted;
    std::string post_id;
    bool operator==(const PageKey&) const = default;
};

}  // namespace fanout::post_query
