#include "post_lookup.hpp"

#include <iterator>
#include <variant>

#include "cursor.hpp"
#include "input.hpp"
#include "json_render.hpp"
#include "log.hpp"
#include "openapi.hpp"
#include "repository.hpp"

namespace fanout::post_query {
namespace {

constexpr std::string_view k_unavailable = "read model database unavailable; retry later";
constexpr std::string_view k_not_initialised = "read model not initialised";

HttpReply error(int status, std::string_view message) { return {status, render_message(message), {}}; }

/// The single value of a query parameter; an error when it is given twice.
std::variant<std::monostate, std::string, HttpReply> single_param(const QueryParams& params, const std::string& name) {
    const auto [first, last] = params.equal_range(name);
    if (first == last) return std::monostate{};
    if (std::next(first) != last) return error(400, "'" + name + "' is given more than once");
    return first->second;
}

std::variant<PageRequest, HttpReply> parse_paging(const QueryParams& params) {
    PageRequest page;
    page.limit = k_default_limit;
    const auto limit = single_param(params, "limit");
    if (const auto* failed = std::get_if<HttpReply>(&limit)) return *failed;
    if (const auto* text = std::get_if<std::string>(&limit)) {
        const auto n = parse_count(*text);
        if (!n || *n < 1 || static_cast<std::uint64_t>(*n) > k_max_limit) {
            return error(400, "'limit' must be an integer from 1 to " + std::to_string(k_max_limit));
        }
        page.limit = static_cast<std::size_t>(*n);
    }
    const auto cursor = single_param(params, "cursor");
    if (const auto* failed = std::get_if<HttpReply>(&cursor)) return *failed;
    if (const auto* text = std::get_if<std::string>(&cursor)) {
        page.after = decode_cursor(*text);
        if (!page.after)
            return error(400, "'cursor' is not valid: pass the nextCursor of a previous response unchanged");
    }
    return page;
}

std::variant<PostFilter, HttpReply> parse_filter(const RouteMatch& route) {
    PostFilter filter;
    switch (route.endpoint) {
        case Endpoint::post_by_id: {
            auto id = parse_post_id(route.argument);
            if (!id) return error(400, "postId must be a UUID, e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6");
            filter.kind = PostFilter::Kind::by_id;
            filter.text = std::move(*id);
            break;
        }
        case Endpoint::posts_by_author:
            if (!is_valid_utf8(route.argument) || route.argument.find('\0') != std::string::npos) {
                return error(400, "author must be UTF-8 text without NUL characters");
            }
            filter.kind = PostFilter::Kind::by_author;
            filter.text = route.argument;
            break;
        case Endpoint::posts_with_comments: filter.kind = PostFilter::Kind::with_comments; break;
        case Endpoint::posts_with_likes: {
            const auto n = parse_count(route.argument);
            if (!n) return error(400, "numberOfLikes must be a non-negative integer up to 9223372036854775807");
            filter.kind = PostFilter::Kind::with_likes;
            filter.min_likes = *n;
            break;
        }
        default: filter.kind = PostFilter::Kind::all; break;
    }
    return filter;
}

}  // namespace

HttpReply PostLookup::handle(const RouteMatch& route, const QueryParams& params) {
    using Outcome = RouteMatch::Outcome;
    switch (route.outcome) {
        case Outcome::not_found: return error(404, "no such route; the Query API is under /api/v1/postLookup/");
        case Outcome::method_not_allowed: {
            HttpReply reply = error(405, "method not allowed; this route answers GET and HEAD");
            reply.allow = k_allowed_methods;
            return reply;
        }
        case Outcome::options: return {204, {}, std::string(k_allowed_methods)};
        case Outcome::bad_request: return error(400, route.error);
        case Outcome::found: break;
    }
    try {
        switch (route.endpoint) {
            case Endpoint::healthz: return {200, render_status("ok"), {}};
            case Endpoint::readyz: return readiness();
            case Endpoint::openapi: return {200, std::string(openapi_json()), {}};
            default: return lookup(route, params);
        }
    } catch (const std::exception& e) {
        log().error("request failed unexpectedly: {}", e.what());
        return error(500, "internal error");
    }
}

template <class Work, class Failed>
std::optional<HttpReply> PostLookup::with_session(const char* busy, const Work& work, const Failed& failed) {
    for (int attempt = 1;; ++attempt) {
        std::optional<SessionPool::Lease> lease;
        try {
            lease = pool_.acquire(generations_.current());
        } catch (const soci::soci_error& e) {
            return unavailable(e.what());
        }
        if (!lease) return error(503, busy);
        try {
            work(*lease);
            return std::nullopt;
        } catch (const soci::soci_error& e) {
            // An idle session whose server restarted fails once; a fresh one
            // may well work, so the client need not see the restart.
            if (attempt == 1 && !lease->session().is_connected()) {
                log().info("database connection lost, reconnecting: {}", e.what());
                lease->discard();
                continue;
            }
            return failed(*lease, e.what());
        }
    }
}

HttpReply PostLookup::lookup(const RouteMatch& route, const QueryParams& params) {
    auto filter = parse_filter(route);
    if (auto* failed = std::get_if<HttpReply>(&filter)) return std::move(*failed);
    auto page = parse_paging(params);
    if (auto* failed = std::get_if<HttpReply>(&page)) return std::move(*failed);

    PostPage result;
    const auto query = [&](SessionPool::Lease& lease) {
        result = find_posts(lease.session(), std::get<PostFilter>(filter), std::get<PageRequest>(page));
    };
    const auto failed = [this](SessionPool::Lease& lease, const std::string& what) {
        return query_failed(lease, what);
    };
    if (auto reply = with_session("all database sessions are busy; retry later", query, failed)) return *reply;
    note(DbState::ok, {});
    if (result.posts.empty()) return {204, {}, {}};
    const std::string message =
        route.endpoint == Endpoint::post_by_id ? std::string(k_single_post_message) : list_message(result.posts.size());
    std::optional<std::string> next;
    if (result.next) next = encode_cursor(*result.next);
    return {200, render_posts(message, result.posts, next), {}};
}

HttpReply PostLookup::readiness() {
    SchemaStatus status;
    int generation = 0;
    const auto check = [&](SessionPool::Lease& lease) {
        status = schema_status(lease.session());
        generation = lease.generation();
    };
    const auto failed = [this](SessionPool::Lease& lease, const std::string& what) {
        lease.discard();
        return unavailable(what);
    };
    if (auto reply = with_session("all database sessions are busy", check, failed)) return *reply;
    if (status.state != SchemaState::ready) {
        note(DbState::not_initialised, "schema_version=" + std::to_string(status.version));
        return error(503, k_not_initialised);
    }
    note(DbState::ok, {});
    return {200, render_ready(generations_.component(), generation), {}};
}

HttpReply PostLookup::query_failed(SessionPool::Lease& lease, const std::string& what) {
    soci::session& session = lease.session();
    if (!session.is_connected()) {
        lease.discard();
        return unavailable(what);
    }
    SchemaStatus status;
    try {
        status = schema_status(session);
    } catch (const soci::soci_error& e) {
        lease.discard();
        return unavailable(e.what());
    }
    if (status.state != SchemaState::ready) {
        note(DbState::not_initialised, "schema_version=" + std::to_string(status.version));
        return error(503, k_not_initialised);
    }
    // The database answers and the schema is there: a timeout, a lock or a
    // bug of ours. Never the client's fault, so 503 and a log line each time.
    log().error("read model query failed: {}", what);
    lease.discard();
    return error(503, "read model query failed; retry later");
}

HttpReply PostLookup::unavailable(const std::string& what) {
    note(DbState::unavailable, what);
    return error(503, k_unavailable);
}

void PostLookup::note(DbState state, std::string_view detail) {
    const DbState before = db_state_.exchange(state);
    if (before == state) return;
    switch (state) {
        case DbState::ok: log().info("read model available"); break;
        case DbState::unavailable: log().warn("read model database unavailable: {}", detail); break;
        case DbState::not_initialised:
            log().warn("read model not initialised ({}; need {}): waiting for the sql_read_model plugin", detail,
                       k_required_schema_version);
            break;
        case DbState::unknown: break;
    }
}

}  // namespace fanout::post_query
