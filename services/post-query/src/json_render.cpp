#include "json_render.hpp"

#include <initializer_list>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "input.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::post_query {
namespace {

using Writer = common::JsonWriter;  // escapes every control character (json_object.hpp)

void write_string(Writer& w, std::string_view s) {
    if (is_valid_utf8(s)) {
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    } else {
        const std::string repaired = to_valid_utf8(s);
        w.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
    }
}

struct TextMember {
    const char* key;
    std::string_view text;
};

void write_texts(Writer& w, std::initializer_list<TextMember> members) {
    for (const TextMember& m : members) {
        w.Key(m.key);
        write_string(w, m.text);
    }
}

void write_comment(Writer& w, const Comment& c) {
    w.StartObject();
    write_texts(w, {{"commentId", c.comment_id},
                    {"username", c.username},
                    {"commentDate", c.comment_date},
                    {"comment", c.comment}});
    w.Key("edited");
    w.Bool(c.edited);
    write_texts(w, {{"postId", c.post_id}});
    w.EndObject();
}

void write_post(Writer& w, const Post& p) {
    w.StartObject();
    write_texts(w,
                {{"postId", p.post_id}, {"author", p.author}, {"datePosted", p.date_posted}, {"message", p.message}});
    w.Key("likes");
    w.Int64(p.likes);
    w.Key("comments");
    w.StartArray();
    for (const Comment& c : p.comments) write_comment(w, c);
    w.EndArray();
    w.EndObject();
}

/// `{...}` with what `fill` writes into it.
template <class Fill>
std::string render_object(const Fill& fill) {
    common::JsonBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    fill(w);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

/// `{"<key>": text}`.
std::string render_text_member(const char* key, std::string_view text) {
    return render_object([&](Writer& w) {
        w.Key(key);
        write_string(w, text);
    });
}

}  // namespace

std::string render_posts(std::string_view message, const std::vector<Post>& posts,
                         const std::optional<std::string>& next_cursor) {
    return render_object([&](Writer& w) {
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
    });
}

std::string render_message(std::string_view message) { return render_text_member("message", message); }

std::string render_status(std::string_view status) { return render_text_member("status", status); }

std::string render_ready(std::string_view component, int generation) {
    return render_object([&](Writer& w) {
        w.Key("status");
        write_string(w, "ready");
        w.Key("component");
        write_string(w, component);
        w.Key("generation");
        w.Int(generation);
    });
}

std::string list_message(std::size_t count) {
    return "Successfully returned " + std::to_string(count) + (count == 1 ? " post!" : " posts!");
}

}  // namespace fanout::post_query
