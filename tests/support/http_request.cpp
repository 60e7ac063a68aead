#include "http_request.hpp"

#include <httplib.h>

namespace fanout::test {

HttpReply send_request(httplib::Client& client, const std::string& method, const std::string& target,
                       const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& content_type, const std::vector<std::string>& wanted_headers) {
    httplib::Request request;
    request.method = method;
    request.path = target;
    request.headers = httplib::Headers(headers.begin(), headers.end());
    request.body = body;
    if (!content_type.empty()) request.set_header("Content-Type", content_type);
    const auto result = client.send(request);
    HttpReply reply;
    reply.headers.resize(wanted_headers.size());
    if (!result) return reply;
    reply.status = result->status;
    reply.body = result->body;
    for (std::size_t i = 0; i < wanted_headers.size(); ++i) {
        reply.headers[i] = result->get_header_value(wanted_headers[i].c_str());
    }
    return reply;
}

}  // namespace fanout::test
