#include "json_render.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "input.hpp"

namespace fanout::post_query {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view s) {
    if (is_valid_utf8(s)) {
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    } else {
        const std::string repaired = to_valid_utf8(s);
        w.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
    }
}

void write_comment(Writer& w, const Comment& c) {
    w.StartObject();
    w.Key("commentId");
    write_string(w, c.comment_id);
    w.Key("username");
    write_string(w, c.username);
    w.Key("commentDate");
    write_string(w, c.comment_date);
    w.Key("comment");
    write_string(w, c.comment);
    w.Key("edited");
    w.Bool(c.edited);
    w.Key("postId");
    write_string(w, c.post_id);
    w.EndObject();
}

void write_post(Writer& w, const Post& p) {
    w.StartObject();
    w.Key("postId");
    write_string(w, p.post_id);
    w.Key("author");
    write_string(w, p.author);
    w.Key("datePosted");
    write_string(w, p.date_posted);
    w.Key("message");
    write_string(w, p.message);
    w.Key("likes");
    w.Int64(p.likes);
    w.Key("comments");
    w.StartArray();
    for (const Comment& c : p.comments) write_comment(w, c);
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string render_posts(std::string_view message, const std::vector<Post>& posts,
                         const std::optional<std::string>& next_cursor) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("message");
    write_string(w, message);
    w.Key("posts");
    w.StartArray();
    for (const Post& p : posts) write_post(w, p);
    w.EndArray();
    if (next_cursor) {
        w.Key("nextCursor");
        write_string(w, *next_cursor);
    }
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string render_message(std::string_view message) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("message");
    write_string(w, message);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string render_status(std::string_view status) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("status");
    write_string(w, status);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string list_message(std::size_t count) {
    return "Successfully returned " + std::to_string(count) + (count == 1 ? " post!" : " posts!");
}

}  // namespace fanout::post_query
