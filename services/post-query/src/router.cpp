#include "router.hpp"

#include <array>
#include <optional>
#include <vector>

#include "input.hpp"

namespace fanout::post_query {
namespace {

struct RouteSpec {
    std::array<std::string_view, 4> literals;  ///< lower case; empty entries unused
    std::size_t literal_count;
    bool has_argument;  ///< one more segment after the literals
    Endpoint endpoint;
};

constexpr std::array<RouteSpec, 8> k_routes = {{
    {{"api", "v1", "postlookup", ""}, 3, false, Endpoint::all_posts},
    {{"api", "v1", "postlookup", "byid"}, 4, true, Endpoint::post_by_id},
    {{"api", "v1", "postlookup", "byauthor"}, 4, true, Endpoint::posts_by_author},
    {{"api", "v1", "postlookup", "withcomments"}, 4, false, Endpoint::posts_with_comments},
    {{"api", "v1", "postlookup", "withlikes"}, 4, true, Endpoint::posts_with_likes},
    {{"healthz", "", "", ""}, 1, false, Endpoint::healthz},
    {{"readyz", "", "", ""}, 1, false, Endpoint::readyz},
    {{"openapi.json", "", "", ""}, 1, false, Endpoint::openapi},
}};

bool equals_ignoring_case(std::string_view raw, std::string_view lower) {
    if (raw.size() != lower.size()) return false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

/// Raw segments of the path part of `target`; nothing if it is not origin-form.
std::optional<std::vector<std::string_view>> split_path(std::string_view target) {
    const std::size_t query = target.find_first_of("?#");
    std::string_view path = target.substr(0, query);
    if (path.empty() || path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);  // one trailing slash is fine
    std::vector<std::string_view> segments;
    while (true) {
        const std::size_t slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

const RouteSpec* find_spec(const std::vector<std::string_view>& segments) {
    for (const RouteSpec& spec : k_routes) {
        const std::size_t expected = spec.literal_count + (spec.has_argument ? 1 : 0);
        if (segments.size() != expected) continue;
        bool match = true;
        for (std::size_t i = 0; i < spec.literal_count && match; ++i) {
            match = equals_ignoring_case(segments[i], spec.literals[i]);
        }
        if (match && spec.has_argument && segments.back().empty()) match = false;
        if (match) return &spec;
    }
    return nullptr;
}

}  // namespace

RouteMatch match_route(std::string_view method, std::string_view target) {
    RouteMatch m;
    const auto segments = split_path(target);
    const RouteSpec* spec = segments ? find_spec(*segments) : nullptr;
    if (spec == nullptr) {
        m.outcome = RouteMatch::Outcome::not_found;
        return m;
    }
    m.endpoint = spec->endpoint;
    if (method == "OPTIONS") {
        m.outcome = RouteMatch::Outcome::options;
        return m;
    }
    if (method != "GET" && method != "HEAD") {
        m.outcome = RouteMatch::Outcome::method_not_allowed;
        return m;
    }
    if (spec->has_argument) {
        auto decoded = percent_decode(segments->back());
        if (!decoded) {
            m.outcome = RouteMatch::Outcome::bad_request;
            m.error = "malformed percent-encoding in the URL";
            return m;
        }
        m.argument = std::move(*decoded);
    }
    m.outcome = RouteMatch::Outcome::found;
    return m;
}

}  // namespace fanout::post_query
