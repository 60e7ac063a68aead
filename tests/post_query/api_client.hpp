#pragma once
// An HTTP client for post-query tests: sends targets exactly as written (no
// re-encoding), parses JSON bodies.
#include <string>
#include <vector>

#include <rapidjson/document.h>

namespace fanout::test {

struct ApiResponse {
    int status = -1;  ///< -1: no response (connection failed)
    std::string body;
    std::string content_type;
    std::string allow;
    /// The body parsed; a test failure when it is not a JSON object.
    rapidjson::Document json() const;
    /// "message" of a JSON body, or "" when absent.
    std::string message() const;
    /// postId of every post in the body, in order.
    std::vector<std::string> post_ids() const;
    /// nextCursor, or "" when absent.
    std::string next_cursor() const;
};

class ApiClient {
public:
    explicit ApiClient(int port) : port_(port) {}
    ApiResponse get(const std::string& target) const { return request("GET", target); }
    ApiResponse request(const std::string& method, const std::string& target) const;

private:
    int port_;
};

/// Percent-encode every byte outside the URL's unreserved set.
std::string url_encode(const std::string& text);

}  // namespace fanout::test
