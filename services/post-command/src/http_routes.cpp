#include "http_routes.hpp"

#include <boost/beast/http/field.hpp>

#include "commands.hpp"
#include "fanout/common/json_object.hpp"
#include "log.hpp"
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
    rapidjson::StringBuffer buffer;
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

/// Queue the command; its answer is sent when it is decided and committed.
void submit(RouteContext& ctx, std::string id, std::optional<std::int64_t> expected, Decide decide, bool is_new,
            Responder respond, const char* success, Fields fields = {}) {
    ctx.commands.submit(Command{std::move(id), expected, std::move(decide), is_new,
                                [respond = std::move(respond), success, fields = std::move(fields)](
                                    const CommandResult& result) { respond(answer(result, success, fields)); }});
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

/// A command on the post of the URL with a body: parse it with `parse`, then
/// `decide(post, body, now)`.
template <class Body>
http::Handler on_post(RouteContext& ctx, Parsed<Body> (*parse)(std::string_view), const char* success) {
    return [&ctx, parse, success](const Request& req, const std::string& param, Responder respond) {
        auto post = target(req, param, respond);
        if (!post) return;
        Parsed<Body> parsed = parse(req.body());
        if (auto* error = std::get_if<std::string>(&parsed)) return respond(reply(400, *error));
        submit(
            ctx, std::move(post->post_id), post->expected_version,
            [body = std::get<Body>(std::move(parsed))](const PostAggregate& post, const std::string& now) {
                return decide(post, body, now);
            },
            false, std::move(respond), success);
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
        Parsed<NewPostBody> parsed = parse_new_post(req.body());
        if (auto* error = std::get_if<std::string>(&parsed)) return respond(reply(400, *error));
        std::string id = new_uuid();
        Fields fields = {{"id", id}};
        submit(
            ctx, std::move(id), std::nullopt,
            [body = std::get<NewPostBody>(std::move(parsed))](const PostAggregate& post, const std::string& now) {
                return post.create(body.author, body.message, now);
            },
            true, std::move(respond), ok::new_post, std::move(fields));
    });

    router.prefix("PUT", "/api/v1/editMessage/", on_post(ctx, parse_edit_message, ok::edit_message));

    router.prefix("PUT", "/api/v1/likePost/", [&ctx](const Request& req, const std::string& param, Responder respond) {
        // The seed's likePost has no body; whatever is sent is ignored.
        auto post = target(req, param, respond);
        if (!post) return;
        submit(
            ctx, std::move(post->post_id), post->expected_version,
            [](const PostAggregate& post, const std::string&) { return post.like(); }, false, std::move(respond),
            ok::like_post);
    });

    router.prefix("PUT", "/api/v1/addComment/",
                  [&ctx](const Request& req, const std::string& param, Responder respond) {
                      auto post = target(req, param, respond);
                      if (!post) return;
                      Parsed<AddCommentBody> parsed = parse_add_comment(req.body());
                      if (auto* error = std::get_if<std::string>(&parsed)) return respond(reply(400, *error));
                      std::string comment_id = new_uuid();
                      Fields fields = {{"commentId", comment_id}};
                      submit(
                          ctx, std::move(post->post_id), post->expected_version,
                          [body = std::get<AddCommentBody>(std::move(parsed)), comment_id](const PostAggregate& post,
                                                                                           const std::string& now) {
                              return post.add_comment(body.comment, body.username, comment_id, now);
                          },
                          false, std::move(respond), ok::add_comment, std::move(fields));
                  });

    router.prefix("PUT", "/api/v1/editComment/", on_post(ctx, parse_edit_comment, ok::edit_comment));
    router.prefix("DELETE", "/api/v1/removeComment/", on_post(ctx, parse_remove_comment, ok::remove_comment));
    router.prefix("DELETE", "/api/v1/deletePost/", on_post(ctx, parse_delete_post, ok::delete_post));

    router.exact("POST", "/api/v1/restoreReadDb",
                 [&ctx](const Request&, const std::string&, Responder respond) { respond(restore_response(ctx)); });
    router.exact("GET", "/api/v1/restoreReadDb", [&ctx](const Request&, const std::string&, Responder respond) {
        respond(json_response(200, restore_progress_json(ctx.restore.progress())));
    });
    router.exact("GET", "/api/v1/status",
                 [&ctx](const Request&, const std::string&, Responder respond) { respond(status_response(ctx)); });
    return router;
}

}  // namespace fanout::post_command
