#include "history_routes.hpp"

#include <map>
#include <optional>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <fanout/timestamp.hpp>
#include <soci/soci.h>

#include "fanout/common/json_object.hpp"
#include "fanout/common/text.hpp"
#include "log.hpp"
#include "post_history.hpp"
#include "utc_clock.hpp"
#include "uuid.hpp"

namespace fanout::post_command {
namespace {

using http::Request;
using http::Responder;
using http::Response;

constexpr std::string_view k_prefix = "/api/v1/posts/";
constexpr std::size_t k_default_limit = 100;
constexpr std::size_t k_max_limit = 1000;

Response json_response(int status, std::string body) {
    Response res;
    res.result(static_cast<unsigned>(status));
    res.set(boost::beast::http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

/// The service's error shape: {"message": "..."}.
Response error(int status, const std::string& message) {
    return json_response(status, common::json_object({{"message", message}}));
}

/// A client mistake, answered as a 400.
struct BadRequest {
    std::string message;
};

/// The query string's parameters; only `allowed` ones, each at most once.
std::map<std::string, std::string> query_parameters(std::string_view target,
                                                    std::initializer_list<std::string_view> allowed) {
    std::map<std::string, std::string> out;
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const std::string key = common::percent_decode_lenient(pair.substr(0, eq), true);
        const std::string value =
            eq == std::string_view::npos ? std::string() : common::percent_decode_lenient(pair.substr(eq + 1), true);
        std::string expected;
        bool known = false;
        for (const std::string_view name : allowed) {
            known = known || name == key;
            expected += (expected.empty() ? "" : ", ") + std::string(name);
        }
        if (!known) throw BadRequest{"Unknown query parameter '" + key + "': this route takes " + expected + "."};
        if (!out.emplace(key, value).second) throw BadRequest{"The query parameter '" + key + "' is given twice."};
    }
    return out;
}

/// The integer parameter `name` in [min, max], or `fallback` when absent.
std::int64_t integer_parameter(const std::map<std::string, std::string>& query, const std::string& name,
                               std::int64_t min, std::int64_t max, std::int64_t fallback) {
    const auto it = query.find(name);
    if (it == query.end()) return fallback;
    const auto value = common::parse_integer<std::int64_t>(it->second);
    if (!value || *value < min || *value > max) {
        throw BadRequest{"The query parameter '" + name + "' must be an integer from " + std::to_string(min) +
                         " to " + std::to_string(max) + ", got '" + it->second + "'."};
    }
    return *value;
}

/// What parse_rfc3339_ms lets through beyond RFC 3339's date-time: a space
/// for the `T`, an offset past 23:59.
bool strict_rfc3339(std::string_view text) {
    if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return false;
    const char sign = text[text.size() - 6];
    if (sign != '+' && sign != '-') return true;  // `Z`
    const std::string_view offset = text.substr(text.size() - 5);
    return offset.substr(0, 2) <= "23" && offset.substr(3, 2) <= "59";
}

AsOf as_of_point(const std::map<std::string, std::string>& query) {
    const auto version = query.find("version");
    const auto at = query.find("at");
    if (version != query.end() && at != query.end()) {
        throw BadRequest{"Give at most one of the query parameters 'version' and 'at'."};
    }
    if (version != query.end()) {
        return AsOf{AsOf::Kind::version,
                    integer_parameter(query, "version", 1, std::numeric_limits<std::int64_t>::max(), 1),
                    {}};
    }
    if (at != query.end()) {
        const std::int64_t ms = parse_rfc3339_ms(at->second);
        if (ms == -1 || !strict_rfc3339(at->second)) {
            throw BadRequest{"The query parameter 'at' must be an RFC 3339 date-time, e.g. 2026-12-05T10:00:00Z or "
                             "2026-12-05T11:00:00.250+01:00, got '" +
                             at->second + "'."};
        }
        // Stored times are UTC with milliseconds from the system clock: the
        // same text format compares in time order, and a time before 1970
        // precedes every event.
        if (ms < 0) return AsOf{AsOf::Kind::time, 0, "1969-12-31T23:59:59.999Z"};
        const auto utc = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
        return AsOf{AsOf::Kind::time, 0, format_rfc3339_ms(utc)};
    }
    return AsOf{};
}

Response events_response(RouteContext& ctx, const std::string& post_id, const Request& req) {
    const auto query = query_parameters(std::string_view(req.target().data(), req.target().size()),
                                        {"fromVersion", "limit"});
    const std::int64_t from = integer_parameter(query, "fromVersion", 1, std::numeric_limits<std::int64_t>::max(), 1);
    const auto limit = static_cast<std::size_t>(integer_parameter(
        query, "limit", 1, static_cast<std::int64_t>(k_max_limit), static_cast<std::int64_t>(k_default_limit)));
    const EventPage page = ctx.readers.with([&](EventReader& r) { return read_event_page(r, post_id, from, limit); });
    if (page.events.empty() && page.latest_version == 0) return error(404, "No post with id " + post_id + ".");
    return json_response(200, event_page_json(post_id, page, limit));
}

Response state_response(RouteContext& ctx, const std::string& post_id, const Request& req) {
    const auto query =
        query_parameters(std::string_view(req.target().data(), req.target().size()), {"version", "at"});
    const AsOf point = as_of_point(query);
    const PostAsOf found = ctx.readers.with([&](EventReader& r) { return read_post_as_of(r, post_id, point); });
    if (found.latest_version == 0) return error(404, "No post with id " + post_id + ".");
    if (!found.post) {
        if (point.kind == AsOf::Kind::version) {
            return error(404, "Post " + post_id + " has no version " + std::to_string(point.version) +
                                  " yet: its latest is " + std::to_string(found.latest_version) + ".");
        }
        return error(404, "Post " + post_id + " did not exist yet at " + query.at("at") + ".");
    }
    return json_response(200, post_state_json(*found.post));
}

void answer(RouteContext& ctx, const Request& req, const std::string& param, const Responder& respond) {
    const std::size_t slash = param.find('/');
    const std::string_view what = slash == std::string::npos ? std::string_view() : std::string_view(param).substr(slash + 1);
    if (what != "events" && what != "state") return respond(error_response(404));
    const auto post_id = canonical_uuid(std::string_view(param).substr(0, slash));
    if (!post_id) return respond(error(400, "The post id must be a UUID, e.g. 3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70."));
    try {
        respond(what == "events" ? events_response(ctx, *post_id, req) : state_response(ctx, *post_id, req));
    } catch (const BadRequest& bad) {
        respond(error(400, bad.message));
    } catch (const soci::soci_error& e) {
        log().error("history: event store unavailable post={} error={}", *post_id, e.what());
        respond(error(503, "The event store is unavailable."));
    } catch (const std::exception& e) {
        log().error("history: cannot rebuild post={} error={}", *post_id, e.what());
        respond(error(500, "The post's history could not be read; see the service log."));
    }
}

}  // namespace

void add_history_routes(http::Router& router, RouteContext& ctx) {
    router.prefix("GET", std::string(k_prefix), [&ctx](const Request& req, const std::string& param, Responder respond) {
        answer(ctx, req, param, respond);
    });
}

}  // namespace fanout::post_command
