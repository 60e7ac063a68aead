#include "api_client.hpp"

#include <cstdio>

#include <gtest/gtest.h>
#include <httplib.h>

#include "http_request.hpp"

namespace fanout::test {

rapidjson::Document ApiResponse::json() const {
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        ADD_FAILURE() << "not a JSON object (status " << status << "): " << body;
        doc.SetObject();
    }
    return doc;
}

std::string ApiResponse::message() const {
    const auto doc = json();
    return doc.HasMember("message") && doc["message"].IsString() ? doc["message"].GetString() : "";
}

std::vector<std::string> ApiResponse::post_ids() const {
    std::vector<std::string> out;
    const auto doc = json();
    if (!doc.HasMember("posts") || !doc["posts"].IsArray()) return out;
    for (const auto& p : doc["posts"].GetArray()) out.emplace_back(p["postId"].GetString());
    return out;
}

std::string ApiResponse::next_cursor() const {
    const auto doc = json();
    return doc.HasMember("nextCursor") && doc["nextCursor"].IsString() ? doc["nextCursor"].GetString() : "";
}

ApiResponse ApiClient::request(const std::string& method, const std::string& target) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_url_encode(false);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(30));
    const bool with_body = method == "POST" || method == "PUT" || method == "PATCH";
    const HttpReply r = send_request(client, method, target, with_body ? "{}" : "", {},
                                     with_body ? "application/json" : "", {"Content-Type", "Allow"});
    return ApiResponse{r.status, r.body, r.headers[0], r.headers[1]};
}

std::string url_encode(const std::string& text) {
    std::string out;
    for (const unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace fanout::test
