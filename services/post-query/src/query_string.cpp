#include "query_string.hpp"

#include <set>

namespace fanout::post_query {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

QueryParams parse_query_params(std::string_view target) {
    QueryParams params;
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return params;
    std::string_view query = target.substr(question + 1);
    std::set<std::string_view> seen;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty() || !seen.insert(pair).second) continue;
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) {
            params.emplace(decode(pair), std::string());
        } else {
            params.emplace(decode(pair.substr(0, eq)), decode(pair.substr(eq + 1)));
        }
    }
    return params;
}

}  // namespace fanout::post_query
