#include "query_string.hpp"

#include <set>

#include "fanout/common/text.hpp"

namespace fanout::post_query {

QueryParams parse_query_params(std::string_view target) {
    QueryParams params;
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return params;
    std::string_view query = target.substr(question + 1);
    std::set<std::string_view> seen;
    const auto decode = [](std::string_view text) { return common::percent_decode_lenient(text, true); };
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
