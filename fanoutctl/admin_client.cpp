#include "admin_client.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include "fanout/common/text.hpp"

namespace fanoutctl {

bool add_token(const Admin& admin, httplib::Headers& headers) {
    if (admin.token_file.empty()) return true;  // the daemon says what is missing
    const std::optional<std::string> token = fanout::common::read_secret_file(admin.token_file);
    if (!token) {
        std::cerr << "fanoutctl: cannot read a token from " << admin.token_file << '\n';
        return false;
    }
    headers.emplace("Authorization", "Bearer " + *token);
    return true;
}

std::string message_of(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return body;
    for (const char* key : {"message", "error"}) {
        if (d.HasMember(key) && d[key].IsString()) return d[key].GetString();
    }
    return body;
}

int failure(const Admin& admin, const httplib::Result& res, const std::string& plugin) {
    if (!res) {
        std::cerr << "fanoutctl: cannot reach fanoutd's admin endpoint: " << httplib::to_string(res.error()) << '\n';
        return exit_code::unavailable;
    }
    switch (res->status) {
        case 400:
            std::cerr << "fanoutctl: " << message_of(res->body) << '\n';
            return exit_code::usage;
        case 401:
        case 403:
            std::cerr << "fanoutctl: refused: " << message_of(res->body)
                      << (admin.token_file.empty() ? " (give --token-file or FANOUT_CONTROL_TOKEN_FILE)" : "") << '\n';
            return exit_code::refused;
        case 404:
            if (!plugin.empty()) {
                std::cerr << "fanoutctl: no plugin named '" << plugin << "' runs in this fanoutd\n";
                return exit_code::no_such_plugin;
            }
            std::cerr << "fanoutctl: " << message_of(res->body) << '\n';
            return exit_code::no_such_plugin;
        case 409:  // fanoutd will not do it (a rebuild: see the message); not a credential problem
            std::cerr << "fanoutctl: refused: " << message_of(res->body) << '\n';
            return exit_code::some_failed;
        default: break;
    }
    std::cerr << "fanoutctl: fanoutd answered " << res->status << ": " << message_of(res->body) << '\n';
    return exit_code::unavailable;
}

std::string field_text(const rapidjson::Value& object, const char* key) {
    if (!object.IsObject() || !object.HasMember(key)) return "-";
    const rapidjson::Value& v = object[key];
    if (v.IsString()) return v.GetString();
    if (v.IsBool()) return v.GetBool() ? "yes" : "no";
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    if (v.IsUint64()) return std::to_string(v.GetUint64());
    return "-";
}

std::optional<Answer> request(const Admin& admin, bool post, const std::string& path, int expected, int& rc,
                              const std::string& plugin) {
    httplib::Headers headers;
    if (!add_token(admin, headers)) {
        rc = exit_code::refused;
        return std::nullopt;
    }
    const httplib::Result res = post ? admin.client.Post(path, headers, "", "") : admin.client.Get(path, headers);
    if (!res || res->status != expected) {
        rc = failure(admin, res, plugin);
        return std::nullopt;
    }
    Answer answer{rapidjson::Document(), res->body};
    answer.doc.Parse(answer.body.c_str(), answer.body.size());
    if (answer.doc.HasParseError() || !answer.doc.IsObject()) {
        std::cerr << "fanoutctl: unexpected answer from " << path << '\n';
        rc = exit_code::unavailable;
        return std::nullopt;
    }
    rc = exit_code::ok;
    return answer;
}

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) {
        width[c] = headers[c].size();
        for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
    }
    const auto line = [&](const std::vector<std::string>& r) {
        for (std::size_t c = 0; c < r.size(); ++c) {
            std::cout << r[c];
            if (c + 1 < r.size()) std::cout << std::string(width[c] - r[c].size() + 2, ' ');
        }
        std::cout << '\n';
    };
    line(headers);
    for (const auto& r : rows) line(r);
}

std::string query_encode(const std::string& value) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 0xf];
        }
    }
    return out;
}

}  // namespace fanoutctl
