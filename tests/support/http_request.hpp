#pragma once
// One HTTP request from a test to a service under test, and what the test
// reads of the response.
#include <string>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace fanout::test {

struct HttpReply {
    int status = -1;  ///< -1 when the connection failed
    std::string body;
    /// The values of the headers asked for, in order ("" when absent).
    std::vector<std::string> headers;
};

/// Send `method` `target` with `body` and `headers` on `client`; a
/// Content-Type header when `content_type` is not empty.
HttpReply send_request(httplib::Client& client, const std::string& method, const std::string& target,
                       const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& content_type, const std::vector<std::string>& wanted_headers);

}  // namespace fanout::test
