#include "http_routes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "commands.hpp"
#include "log.hpp"
#include "uuid.hpp"

namespace fanout::post_command {
namespace {

using httplib::Request;
using httplib::Response;
using Fields = std::vector<std::pair<const char*, std::string>>;

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

void reply(Response& res, int status, const std::string& message, const Fields& fields = {}) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("message");
    w.String(message);
    for (const auto& [key, value] : fields) {
        w.Key(key);
        w.String(value);
    }
    w.EndObject();
    res.status = status;
    res.set_content(std::string(buffer.GetString(), buffer.GetSize()), "application/json");
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

std::optional<std::string> post_id(const Request& req, Response& res) {
    auto id = canonical_uuid(req.matches[1].str());
    if (!id) reply(res, 400, "The post id must be a UUID, e.g. 3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70.");
    return id;
}

/// The If-Match version: `ok` false after answering 400 for a malformed header.
struct IfMatch {
    bool ok = true;
    std::optional<std::int64_t> version;
};
IfMatch if_match(const Request& req, Response& res) {
    if (!req.has_header("If-Match")) return {};
    const ExpectedVersion expected = parse_if_match(req.get_header_value("If-Match"));
    if (expected.error) {
        reply(res, 400, *expected.error);
        return {false, std::nullopt};
    }
    return {true, expected.version};
}

void answer(Response& res, const CommandResult& result, const char* success, const Fields& fields = {}) {
    if (result.version > 0) res.set_header("ETag", "\"" + std::to_string(result.version) + "\"");
    if (result.status == 200 || result.status == 201) {
        reply(res, result.status, success, fields);
    } else {
        reply(res, result.status, result.message);
    }
}

/// Parse the body with `parse`, then run `decide(post, body, now)` on the post of the URL.
template <class Body, class DecideFn>
void on_post(RouteContext& ctx, const Request& req, Response& res, Parsed<Body> (*parse)(std::string_view),
             DecideFn decide, const char* success) {
    const auto id = post_id(req, res);
    if (!id) return;
    const IfMatch expected = if_match(req, res);
    if (!expected.ok) return;
    Parsed<Body> parsed = parse(req.body);
    if (auto* error = std::get_if<std::string>(&parsed)) return reply(res, 400, *error);
    const Body& body = std::get<Body>(parsed);
    answer(res,
           ctx.commands.execute(
               *id, expected.version,
               [&](const PostAggregate& post, const std::string& now) { return decide(post, body, now); }),
           success);
}

/// Catch what a handler throws: never a crash, never an HTML error page.
template <class F>
httplib::Server::Handler guarded(F f) {
    return [f = std::move(f)](const Request& req, Response& res) {
        try {
            f(req, res);
        } catch (const std::exception& e) {
            log().error("{} {} failed: {}", req.method, req.path, e.what());
            reply(res, 503, "The service could not complete the request; retry later.");
        }
    };
}

void status_route(RouteContext& ctx, const Request&, Response& res) {
    std::int64_t stored = 0, published = 0;
    try {
        ctx.readers.with([&](EventReader& r) {
            stored = r.last_sequence();
            published = r.published_position(ctx.topic);
            return 0;
        });
    } catch (const std::exception& e) {
        log().error("status: event store unavailable: {}", e.what());
        return reply(res, 503, "The event store is unavailable.");
    }
    const RelayStatus relay = ctx.relay.status();
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("topic");
    w.String(ctx.topic);
    w.Key("lastStoredSequence");
    w.Int64(stored);
    w.Key("lastPublishedSequence");
    w.Int64(published);
    w.Key("lag");
    w.Int64(std::max<std::int64_t>(0, stored - published));
    w.Key("relay");
    w.StartObject();
    w.Key("role");
    w.String(relay.role);
    w.Key("publishedEvents");
    w.Uint64(relay.published_events);
    w.Key("lastError");
    if (relay.last_error.empty()) {
        w.Null();
    } else {
        w.String(relay.last_error);
    }
    w.EndObject();
    w.Key("restore");
    const std::string restore = restore_progress_json(ctx.restore.progress());
    w.RawValue(restore.data(), restore.size(), rapidjson::kObjectType);
    w.EndObject();
    res.status = 200;
    res.set_content(std::string(buffer.GetString(), buffer.GetSize()), "application/json");
}

void restore_route(RouteContext& ctx, const Request&, Response& res) {
    if (ctx.relay.status().role != "leading") {
        return reply(res, 503,
                     "This instance's outbox relay is not the leading one; send restoreReadDb to the instance whose "
                     "GET /api/v1/status shows relay.role = leading.");
    }
    if (!ctx.restore.request(ctx.restore_topic)) {
        return reply(res, 409, "A read database restore is already running; see GET /api/v1/restoreReadDb.");
    }
    ctx.relay.notify();
    res.set_header("Location", "/api/v1/restoreReadDb");
    reply(res, 202, "Read database restore request accepted; follow its progress at GET /api/v1/restoreReadDb.",
          {{"status", "/api/v1/restoreReadDb"}});
}

}  // namespace

void register_routes(httplib::Server& server, RouteContext& ctx) {
    server.set_error_handler([](const Request&, Response& res) {
        if (res.body.empty()) reply(res, res.status, reason(res.status));
    });
    // A request without Content-Length or Transfer-Encoding has an empty body
    // (RFC 9112 6.3), but httplib 0.11 reads a PUT/POST/DELETE body until the
    // connection closes: `curl -X PUT .../likePost/ID` would wait for the read
    // timeout and get 400. Saying so explicitly makes it read nothing. The
    // Request object is not const in httplib; only this callback's view is.
    server.set_pre_routing_handler([](const Request& req, Response&) {
        if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
            const_cast<Request&>(req).headers.emplace("Content-Length", "0");
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    server.Post("/api/v1/newPost", guarded([&ctx](const Request& req, Response& res) {
                    Parsed<NewPostBody> parsed = parse_new_post(req.body);
                    if (auto* error = std::get_if<std::string>(&parsed)) return reply(res, 400, *error);
                    const NewPostBody& body = std::get<NewPostBody>(parsed);
                    const std::string id = new_uuid();
                    const CommandResult result =
                        ctx.commands.create(id, [&](const PostAggregate& post, const std::string& now) {
                            return post.create(body.author, body.message, now);
                        });
                    answer(res, result, ok::new_post, {{"id", id}});
                }));

    server.Put(R"(/api/v1/editMessage/(.*))", guarded([&ctx](const Request& req, Response& res) {
                   on_post(
                       ctx, req, res, parse_edit_message,
                       [](const PostAggregate& post, const EditMessageBody& b, const std::string&) {
                           return post.edit_message(b.message, b.username);
                       },
                       ok::edit_message);
               }));

    server.Put(R"(/api/v1/likePost/(.*))", guarded([&ctx](const Request& req, Response& res) {
                   // The seed's likePost has no body; whatever is sent is ignored.
                   const auto id = post_id(req, res);
                   if (!id) return;
                   const IfMatch expected = if_match(req, res);
                   if (!expected.ok) return;
                   answer(
                       res,
                       ctx.commands.execute(*id, expected.version,
                                            [](const PostAggregate& post, const std::string&) { return post.like(); }),
                       ok::like_post);
               }));

    server.Put(R"(/api/v1/addComment/(.*))", guarded([&ctx](const Request& req, Response& res) {
                   const std::string comment_id = new_uuid();
                   const auto id = post_id(req, res);
                   if (!id) return;
                   const IfMatch expected = if_match(req, res);
                   if (!expected.ok) return;
                   Parsed<AddCommentBody> parsed = parse_add_comment(req.body);
                   if (auto* error = std::get_if<std::string>(&parsed)) return reply(res, 400, *error);
                   const AddCommentBody& body = std::get<AddCommentBody>(parsed);
                   answer(res,
                          ctx.commands.execute(*id, expected.version,
                                               [&](const PostAggregate& post, const std::string& now) {
                                                   return post.add_comment(body.comment, body.username, comment_id,
                                                                           now);
                                               }),
                          ok::add_comment, {{"commentId", comment_id}});
               }));

    server.Put(R"(/api/v1/editComment/(.*))", guarded([&ctx](const Request& req, Response& res) {
                   on_post(
                       ctx, req, res, parse_edit_comment,
                       [](const PostAggregate& post, const EditCommentBody& b, const std::string& now) {
                           return post.edit_comment(b.comment_id, b.comment, b.username, now);
                       },
                       ok::edit_comment);
               }));

    server.Delete(R"(/api/v1/removeComment/(.*))", guarded([&ctx](const Request& req, Response& res) {
                      on_post(
                          ctx, req, res, parse_remove_comment,
                          [](const PostAggregate& post, const RemoveCommentBody& b, const std::string&) {
                              return post.remove_comment(b.comment_id, b.username);
                          },
                          ok::remove_comment);
                  }));

    server.Delete(R"(/api/v1/deletePost/(.*))", guarded([&ctx](const Request& req, Response& res) {
                      on_post(
                          ctx, req, res, parse_delete_post,
                          [](const PostAggregate& post, const DeletePostBody& b, const std::string&) {
                              return post.remove(b.username);
                          },
                          ok::delete_post);
                  }));

    server.Post("/api/v1/restoreReadDb",
                guarded([&ctx](const Request& req, Response& res) { restore_route(ctx, req, res); }));
    server.Get("/api/v1/restoreReadDb", guarded([&ctx](const Request&, Response& res) {
                   res.status = 200;
                   res.set_content(restore_progress_json(ctx.restore.progress()), "application/json");
               }));
    server.Get("/api/v1/status", guarded([&ctx](const Request& req, Response& res) { status_route(ctx, req, res); }));
}

}  // namespace fanout::post_command
