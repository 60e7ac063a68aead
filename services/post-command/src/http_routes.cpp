#include "http_routes.hpp"

#include <boost/beast/http/field.hpp>

#include "commands.hpp"
#include "fanout/common/json_object.hpp"
#include "history_routes.hpp"
#include "log.hpp"
#include "openapi_route.hpp"
#include "post_aggregate.hpp"
#include "uuid.hpp"

namespace fanout::post_command {
namespace {

using common::JsonValue;
using http::Request;
using http::Responder;
using http::Response;
using Fields = std::vector<std::pair<const char*, std::string>>;
namespace bhttp = boost::beast::http;

/// Success messages of the seed system.
namespace ok {
constexpr const char* new_post = "New post creation request completed successfully!";
constexpr const char* edit_message = "Edit message request completed successfully!";
constexpr const char* like_post = "Like post request completed successfully!";
constexpr const char* add_comment = "Add comment request completed successfully!";
constexpr const char* edit_comment = "Edit comment request completed successfully!";
constexpr const char* remove_comment = "Remove comment request completed successfully!";
constexpr const char* delete_post = "Delete post request completed successfully!";
}  // namespace ok

Response json_response(int status, std::string body) {
    Response res;
    res.result(static_cast<unsigned>(status));
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

Response reply(int status, const std::string& message, const Fields& fields = {}) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    common::write_members(w, {{"message", message}});
    for (const auto& [key, value] : fields) common::write_members(w, {{key, value}});
    w.EndObject();
    return json_response(status, std::string(buffer.GetString(), buffer.GetSize()));
}

const char* reason(int status) {
    switch (status) {
        case 400: return "Bad request";
        case 404: return "No such route: see the Command API in services/post-command/README.md";
        case 405: return "Method not allowed";
        case 408: return "Request timeout";
        case 413: return "Request body too large";
        case 414: return "Request URI too long";
        case 415: return "Unsupported media type";
        case 416: return "Range not satisfiable";
        case 431: return "Request header fields too large";
        case 503: return "Service unavailable";
        default: return status < 500 ? "Client error" : "Server error";
    }
}

/// The post of the URL and the client's If-Match version, or nothing after
/// answering 400 (an id that is not a UUID, a malformed If-Match).
struct Target {
    std::string post_id;
    std::optional<std::int64_t> expected_version;
};
std::optional<Target> target(const Request& req, const std::string& param, const Responder& respond) {
    auto id = canonical_uuid(param);
    if (!id) {
        respond(reply(400, "The post id must be a UUID, e.g. 3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70."));
        return std::nullopt;
    }
    const auto header = req.find(bhttp::field::if_match);
    if (header == req.end()) return Target{std::move(*id), std::nullopt};
    const ExpectedVersion expected = parse_if_match(std::string(header->value()));
    if (expected.error) {
        respond(reply(400, *expected.error));
        return std::nullopt;
    }
    return Target{std::move(*id), expected.version};
}

Response answer(const CommandResult& result, const char* success, const Fields& fields) {
    Response res = result.status == 200 || result.status == 201 ? reply(result.status, success, fields)
                                                                : reply(result.status, result.message);
    if (result.version > 0) res.set(bhttp::field::etag, "\"" + std::to_string(result.version) + "\"");
    return res;
}

/// 401 (RFC 6750): without a token the challenge names no error; with a bad
/// one it says why, in a fixed text that never holds the token.
Response unauthorized(const AuthFailure* failure) {
    Response res = failure ? reply(401, "The bearer token was refused: " + failure->description + ".")
                           : reply(401, "This command needs a bearer token: Authorization: Bearer <JWT>.");
    res.set(bhttp::field::www_authenticate,
            failure
                ? "Bearer realm=\"fanout\", error=\"invalid_token\", error_description=\"" + failure->description + "\""
                : std::string("Bearer realm=\"fanout\""));
    return res;
}

/// Who acts: with authentication off nobody (the body names the user); on,
/// the token's user, or nothing after answering 401.
std::optional<Identity> authenticate(RouteContext& ctx, const Request& req, const char* route,
                                     const Responder& respond) {
    if (ctx.auth == nullptr) return Identity{};
    const auto header = req.find(bhttp::field::authorization);
    std::string_view value;
    if (header != req.end()) value = std::string_view(header->value().data(), header->value().size());
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() <= scheme.size() || !equals_ignore_case(value.substr(0, scheme.size()), scheme)) {
        log().info("auth: refused route={} status=401 reason=\"no bearer token\"", route);
        respond(unauthorized(nullptr));
        return std::nullopt;
    }
    value.remove_prefix(scheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    auto verified = ctx.auth->verify(value);
    if (const auto* failure = std::get_if<AuthFailure>(&verified)) {
        log().info("auth: refused route={} status=401 reason=\"{}\"", route, failure->description);
        respond(unauthorized(failure));
        return std::nullopt;
    }
    return std::get<Identity>(std::move(verified));
}

/// The body, parsed; with authentication on its user field (`who_field`,
/// JSON `field`) is the token's user when left out, and 403 when it names
/// someone else. Nothing after answering.
template <class Body>
std::optional<Body> parse_body(const RouteContext& ctx, const Identity& who, const Request& req,
                               Parsed<Body> (*parse)(std::string_view), std::string Body::*who_field, const char* field,
                               const Responder& respond) {
    Parsed<Body> parsed = ctx.auth ? parse(with_identity(req.body(), field, who.user)) : parse(req.body());
    if (auto* error = std::get_if<std::string>(&parsed)) {
        respond(reply(400, *error));
        return std::nullopt;
    }
    Body body = std::get<Body>(std::move(parsed));
    if (ctx.auth && body.*who_field != who.user) {
        respond(reply(403, std::string("The body's '") + field + "' must be the authenticated user ('" +
                               ctx.auth->settings().user_claim + "' of the token), or be left out."));
        return std::nullopt;
    }
    return body;
}

/// A command for the command thread, acting as `who`.
Command command(std::string id, std::optional<std::int64_t> expected, Decide decide, bool is_new, const Identity& who) {
    Command c;
    c.post_id = std::move(id);
    c.expected_version = expected;
    c.decide = std::move(decide);
    c.is_new = is_new;
    c.actor = who.user;
    return c;
}

/// Queue the command; its answer is sent when it is decided and committed.
void submit(RouteContext& ctx, Command command, Responder respond, const char* success, Fields fields = {}) {
    command.done = [respond = std::move(respond), success, fields = std::move(fields)](const CommandResult& result) {
        respond(answer(result, success, fields));
    };
    ctx.commands.submit(std::move(command));
}

// What a command on an existing post decides, by its body.
Decision decide(const PostAggregate& post, const EditMessageBody& b, const std::string&) {
    return post.edit_message(b.message, b.username);
}
Decision decide(const PostAggregate& post, const DeletePostBody& b, const std::string&) {
    return post.remove(b.username);
}
Decision decide(const PostAggregate& post, const RemoveCommentBody& b, const std::string&) {
    return post.remove_comment(b.comment_id, b.username);
}
Decision decide(const PostAggregate& post, const EditCommentBody& b, const std::string& now) {
    return post.edit_comment(b.comment_id, b.comment, b.username, now);
}

// With authentication on, who may: the post's author edits and deletes it,
// a comment's author edits and removes it. Names compare exactly: a token's
// user is an identity, not a display name.
std::optional<std::string> only(bool allowed, const char* message) {
    return allowed ? std::nullopt : std::optional<std::string>(message);
}
std::optional<std::string> comment_refusal(const PostAggregate& post, const std::string& comment_id,
                                           const std::string& user, const char* message) {
    const auto it = post.comments().find(comment_id);
    return only(it == post.comments().end() || it->second.username == user, message);  // none: decide says 404
}
std::optional<std::string> refusal(const PostAggregate& post, const EditMessageBody&, const std::string& user) {
    return only(post.author() == user, messages::edit_not_author);
}
std::optional<std::string> refusal(const PostAggregate& post, const DeletePostBody&, const std::string& user) {
    return only(post.author() == user, messages::delete_not_author);
}
std::optional<std::string> refusal(const PostAggregate& post, const EditCommentBody& b, const std::string& user) {
    return comment_refusal(post, b.comment_id, user, messages::edit_comment_not_author);
}
std::optional<std::string> refusal(const PostAggregate& post, const RemoveCommentBody& b, const std::string& user) {
    return comment_refusal(post, b.comment_id, user, messages::remove_comment_not_author);
}

/// A command on the post of the URL with a body: parse it with `parse`, then
/// `decide(post, body, now)`; with authentication on only if no `refusal`.
template <class Body>
http::Handler on_post(RouteContext& ctx, Parsed<Body> (*parse)(std::string_view), const char* success,
                      const char* route) {
    return [&ctx, parse, success, route](const Request& req, const std::string& param, Responder respond) {
        const std::optional<Identity> who = authenticate(ctx, req, route, respond);
        if (!who) return;
        auto post = target(req, param, respond);
        if (!post) return;
        std::optional<Body> body = parse_body(ctx, *who, req, parse, &Body::username, "username", respond);
        if (!body) return;
        Command c = command(
            std::move(post->post_id), post->expected_version,
            [body = *body](const PostAggregate& post, const std::string& now) { return decide(post, body, now); },
            false, *who);
        if (ctx.auth) {
            c.authorize = [body = std::move(*body), user = who->user](const PostAggregate& post) {
                return refusal(post, body, user);
            };
        }
        submit(ctx, std::move(c), std::move(respond), success);
    };
}

Response status_response(RouteContext& ctx) {
    std::int64_t stored = 0, published = 0;
    try {
        ctx.readers.with([&](EventReader& r) {
            stored = r.last_sequence();
            published = r.published_position(ctx.topic);
            return 0;
        });
    } catch (const std::exception& e) {
        log().error("status: event store unavailable: {}", e.what());
        return reply(503, "The event store is unavailable.");
    }
    const RelayStatus relay = ctx.relay.status();
    const std::string relay_json = common::json_object({{"role", relay.role},
                                                        {"publishedEvents", relay.published_events},
                                                        {"lastError", JsonValue::or_null(relay.last_error)}});
    const std::string restore = restore_progress_json(ctx.restore.progress());
    return json_response(200, common::json_object({{"topic", ctx.topic},
                                                   {"lastStoredSequence", stored},
                                                   {"lastPublishedSequence", published},
                                                   {"lag", std::max<std::int64_t>(0, stored - published)},
                                                   {"relay", JsonValue::raw(relay_json)},
                                                   {"restore", JsonValue::raw(restore)}}));
}

Response restore_response(RouteContext& ctx) {
    if (ctx.relay.status().role != "leading") {
        return reply(503,
                     "This instance's outbox relay is not the leading one; send restoreReadDb to the instance whose "
                     "GET /api/v1/status shows relay.role = leading.");
    }
    if (!ctx.restore.request(ctx.restore_topic)) {
        return reply(409, "A read database restore is already running; see GET /api/v1/restoreReadDb.");
    }
    ctx.relay.notify();
    Response res =
        reply(202, "Read database restore request accepted; follow its progress at GET /api/v1/restoreReadDb.",
              {{"status", "/api/v1/restoreReadDb"}});
    res.set(bhttp::field::location, "/api/v1/restoreReadDb");
    return res;
}

}  // namespace

http::Response error_response(int status) { return reply(status, reason(status)); }

http::Router make_routes(RouteContext& ctx) {
    http::Router router;
    router.exact("POST", "/api/v1/newPost", [&ctx](const Request& req, const std::string&, Responder respond) {
        const std::optional<Identity> who = authenticate(ctx, req, "newPost", respond);
        if (!who) return;
        std::optional<NewPostBody> body =
            parse_body(ctx, *who, req, parse_new_post, &NewPostBody::author, "author", respond);
        if (!body) return;
        std::string id = new_uuid();
        Fields fields = {{"id", id}};
        Command c = command(
            std::move(id), std::nullopt,
            [body = std::move(*body)](const PostAggregate& post, const std::string& now) {
                return post.create(body.author, body.message, now);
            },
            true, *who);
        submit(ctx, std::move(c), std::move(respond), ok::new_post, std::move(fields));
    });

    router.prefix("PUT", "/api/v1/editMessage/", on_post(ctx, parse_edit_message, ok::edit_message, "editMessage"));

    router.prefix("PUT", "/api/v1/likePost/", [&ctx](const Request& req, const std::string& param, Responder respond) {
        // The seed's likePost has no body; whatever is sent is ignored. The
        // like is the actor's (recorded on the event) when authentication is on.
        const std::optional<Identity> who = authenticate(ctx, req, "likePost", respond);
        if (!who) return;
        auto post = target(req, param, respond);
        if (!post) return;
        Command c = command(
            std::move(post->post_id), post->expected_version,
            [](const PostAggregate& post, const std::string&) { return post.like(); }, false, *who);
        submit(ctx, std::move(c), std::move(respond), ok::like_post);
    });

    router.prefix("PUT", "/api/v1/addComment/",
                  [&ctx](const Request& req, const std::string& param, Responder respond) {
                      const std::optional<Identity> who = authenticate(ctx, req, "addComment", respond);
                      if (!who) return;
                      auto post = target(req, param, respond);
                      if (!post) return;
                      std::optional<AddCommentBody> body =
                          parse_body(ctx, *who, req, parse_add_comment, &AddCommentBody::username, "username", respond);
                      if (!body) return;
                      std::string comment_id = new_uuid();
                      Fields fields = {{"commentId", comment_id}};
                      Command c = command(
                          std::move(post->post_id), post->expected_version,
                          [body = std::move(*body), comment_id](const PostAggregate& post, const std::string& now) {
                              return post.add_comment(body.comment, body.username, comment_id, now);
                          },
                          false, *who);
                      submit(ctx, std::move(c), std::move(respond), ok::add_comment, std::move(fields));
                  });

    router.prefix("PUT", "/api/v1/editComment/", on_post(ctx, parse_edit_comment, ok::edit_comment, "editComment"));
    router.prefix("DELETE", "/api/v1/removeComment/",
                  on_post(ctx, parse_remove_comment, ok::remove_comment, "removeComment"));
    router.prefix("DELETE", "/api/v1/deletePost/", on_post(ctx, parse_delete_post, ok::delete_post, "deletePost"));

    router.exact("POST", "/api/v1/restoreReadDb", [&ctx](const Request& req, const std::string&, Responder respond) {
        const std::optional<Identity> who = authenticate(ctx, req, "restoreReadDb", respond);
        if (!who) return;
        if (ctx.auth && !who->admin) {
            const AuthSettings& a = ctx.auth->settings();
            return respond(reply(403, a.admin_role.empty()
                                          ? "restoreReadDb is an administrative action and no admin role is "
                                            "configured (auth.admin_role)."
                                          : "restoreReadDb is an administrative action: the token's '" + a.admin_claim +
                                                "' claim must hold the admin role."));
        }
        respond(restore_response(ctx));
    });
    router.exact("GET", "/api/v1/restoreReadDb", [&ctx](const Request&, const std::string&, Responder respond) {
        respond(json_response(200, restore_progress_json(ctx.restore.progress())));
    });
    router.exact("GET", "/api/v1/status",
                 [&ctx](const Request&, const std::string&, Responder respond) { respond(status_response(ctx)); });
    add_openapi_route(router);
    add_history_routes(router, ctx);
    return router;
}

}  // namespace fanout::post_command
