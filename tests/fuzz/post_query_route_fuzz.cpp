// post-query's request routing and URL input: the method and raw
// request-target of any request, and the validation functions behind them.
//
// Input: the method, a newline, the request-target (query included).
#include <string>

#include "text_target.hpp"
#include "input.hpp"
#include "router.hpp"

namespace pq = fanout::post_query;
using fanout::fuzz::check;
using Outcome = pq::RouteMatch::Outcome;

void fanout::fuzz::fuzz_text(std::string_view text) {
    const auto parts = fanout::fuzz::split(text, "\n", 2);
    const std::string_view method = parts.size() > 1 ? parts[0] : std::string_view("GET");
    const std::string_view target = parts.size() > 1 ? parts[1] : parts[0];

    const pq::RouteMatch match = pq::match_route(method, target);
    if (match.outcome == Outcome::bad_request) check(!match.error.empty(), "a bad request says why");
    if (match.outcome == Outcome::found) {
        const bool takes_argument = match.endpoint == pq::Endpoint::post_by_id ||
                                    match.endpoint == pq::Endpoint::posts_by_author ||
                                    match.endpoint == pq::Endpoint::posts_with_likes;
        check(takes_argument != match.argument.empty(), "a route has an argument exactly when it takes one");
        // What the lookup does with it next.
        (void)pq::parse_post_id(match.argument);
        (void)pq::parse_count(match.argument);
        (void)pq::is_valid_utf8(match.argument);
    }

    if (const auto id = pq::parse_post_id(target)) {
        check(pq::is_canonical_post_id(*id), "parse_post_id returns a canonical id", *id);
        check(pq::parse_post_id(*id) == id, "a canonical id parses to itself", *id);
    }
    if (const auto n = pq::parse_count(target)) {
        check(*n >= 0, "a count is not negative");
        const std::string again = std::to_string(*n);
        check(pq::parse_count(again) == n, "a count's decimal form parses back", again);
    }
    if (const auto decoded = pq::percent_decode(target)) {
        check(decoded->size() <= target.size(), "decoding never lengthens");
    }
    const std::string repaired = pq::to_valid_utf8(target);
    check(pq::is_valid_utf8(repaired), "to_valid_utf8 gives valid UTF-8", repaired);
    if (pq::is_valid_utf8(target)) check(repaired == target, "valid UTF-8 is left as it is");
}
