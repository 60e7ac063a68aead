#include "hostile_commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include <rapidjson/document.h>

namespace fanout::test {
namespace {

// Fragments of JSON string literals (between the quotes). Some are not valid
// JSON on purpose (raw invalid UTF-8, a raw control byte, a lone high
// surrogate escape): the service must answer those 400 too.
constexpr const char* k_pieces[] = {
    "alice",
    "Bob",
    "maria.lopez",
    "Hello world",
    "",
    " ",
    "\\t\\n",
    "\\u0000",
    "a\\u0000b",
    "\xff",
    "ok\xc3",
    "\xed\xa0\x80",
    "\xc0\xaf",
    "\x01",
    "\\ud800",
    "\\udc00",
    "x\\udfff",
    "\\ud83d\\ude00",
    "\\udbff\\udfff",
    "\xe2\x80\xae",
    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
    "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
    "e\xcc\x81\xcc\x82\xcc\x83\xcc\x84",
    "\xf0\x9f\x98\x80",
    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",
    "\xef\xbb\xbf",
    "\xef\xbf\xbf",
    "\\\"quoted\\\"",
    "back\\\\slash",
    "\\u0001\\u001f\\u007f",
    "\\u00e9\\u0085",
    "\\/",
    "NULL",
    "' OR 1=1 --",
    "\\u202e\\u200f",
};

/// Units for huge values, each with its size in decoded bytes.
struct Unit {
    const char* literal;
    std::size_t bytes;
};
constexpr Unit k_units[] = {{"x", 1}, {"\xc3\xa9", 2}, {"\xf0\x9f\x98\x80", 4}, {"\\u00e9", 2}, {"\\n", 1}};

std::optional<std::string> decode(const std::string& literal) {
    rapidjson::Document doc;
    // As the service parses bodies: the source must be valid UTF-8.
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(literal.data(), literal.size());
    if (doc.HasParseError() || !doc.IsString()) return std::nullopt;
    return std::string(doc.GetString(), doc.GetStringLength());
}

std::string random_uuid(std::mt19937_64& rng) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned>(rng() & 0xfff), static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    return buf;
}

template <class Map>
auto pick(const Map& map, std::mt19937_64& rng) {
    auto it = map.begin();
    std::advance(it, static_cast<long>(rng() % map.size()));
    return it;
}

}  // namespace

std::uint64_t property_seed(const char* test_name) {
    std::uint64_t seed;
    if (const char* env = std::getenv("FANOUT_PROPERTY_SEED"); env != nullptr && *env != '\0') {
        seed = std::strtoull(env, nullptr, 0);
    } else {
        seed = std::random_device()();
        seed = (seed << 32) ^ std::random_device()();
    }
    std::cout << test_name << ": seed " << seed << " (replay with FANOUT_PROPERTY_SEED=" << seed << ")" << std::endl;
    return seed;
}

std::string json_literal(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

JsonText HostileStrings::next(bool text) {
    std::string literal = "\"";
    const unsigned roll = static_cast<unsigned>(rng_() % 100);
    if (roll < 12) {
        // Around the limit of the field's kind (100 bytes for names, 65536 for text), or far past it.
        const Unit& unit = k_units[rng_() % std::size(k_units)];
        const std::size_t limit = text ? 65536 : 100;
        std::size_t target = limit - 3 + rng_() % 7;
        if (text && rng_() % 4 == 0) target = 150000;
        for (std::size_t bytes = 0; bytes + unit.bytes <= target; bytes += unit.bytes) literal += unit.literal;
    } else if (roll < 40) {
        // A plain value: most commands should succeed and reach the projections.
        literal += k_pieces[rng_() % 4];
        if (rng_() % 2 == 0) literal += std::to_string(rng_() % 1000);
    } else {
        const int n = 1 + static_cast<int>(rng_() % 4);
        for (int i = 0; i < n; ++i) literal += k_pieces[rng_() % std::size(k_pieces)];
    }
    literal += "\"";
    auto decoded = decode(literal);
    return {std::move(literal), std::move(decoded)};
}

const char* to_string(CommandRequest::Kind kind) {
    switch (kind) {
        case CommandRequest::Kind::new_post: return "newPost";
        case CommandRequest::Kind::edit_message: return "editMessage";
        case CommandRequest::Kind::like: return "likePost";
        case CommandRequest::Kind::add_comment: return "addComment";
        case CommandRequest::Kind::edit_comment: return "editComment";
        case CommandRequest::Kind::remove_comment: return "removeComment";
        case CommandRequest::Kind::delete_post: return "deletePost";
    }
    return "?";
}

const char* event_type_of(CommandRequest::Kind kind) {
    switch (kind) {
        case CommandRequest::Kind::new_post: return "PostCreatedEvent";
        case CommandRequest::Kind::edit_message: return "MessageUpdatedEvent";
        case CommandRequest::Kind::like: return "PostLikedEvent";
        case CommandRequest::Kind::add_comment: return "CommentAddedEvent";
        case CommandRequest::Kind::edit_comment: return "CommentUpdatedEvent";
        case CommandRequest::Kind::remove_comment: return "CommentRemovedEvent";
        case CommandRequest::Kind::delete_post: return "PostRemovedEvent";
    }
    return "?";
}

JsonText CommandGenerator::name_or(const std::string& literal) {
    if (!literal.empty() && strings_.rng()() % 10 < 7) return {literal, decode(literal)};
    return strings_.next(false);
}

CommandRequest CommandGenerator::next(const std::map<std::string, AcceptedPost>& posts) {
    auto& rng = strings_.rng();
    using Kind = CommandRequest::Kind;
    CommandRequest r;
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    r.kind = posts.empty() || roll < 22 ? Kind::new_post
             : roll < 42                ? Kind::like
             : roll < 58                ? Kind::add_comment
             : roll < 70                ? Kind::edit_message
             : roll < 81                ? Kind::edit_comment
             : roll < 92                ? Kind::remove_comment
                                        : Kind::delete_post;

    const AcceptedPost* post = nullptr;
    if (r.kind != Kind::new_post) {
        const unsigned target = static_cast<unsigned>(rng() % 100);
        if (target < 88) {
            const auto it = pick(posts, rng);
            r.post_id = it->first;
            post = &it->second;
        } else if (target < 96) {
            r.post_id = random_uuid(rng);
        } else {
            r.post_id = target % 2 == 0 ? "not-a-uuid" : "%00";
        }
    }

    // Field names match ignoring ASCII case: sometimes PascalCase.
    const bool pascal = rng() % 8 == 0;
    std::vector<std::pair<std::string, JsonText>> fields;
    const auto add = [&](std::string name, JsonText value) {
        if (pascal) name[0] = static_cast<char>(name[0] - 'a' + 'A');
        fields.emplace_back(std::move(name), std::move(value));
    };
    const std::string author = post != nullptr ? post->author.literal : std::string();
    const auto comment_target = [&]() -> std::pair<std::string, std::string> {
        if (post != nullptr && !post->comments.empty() && rng() % 10 < 8) {
            const auto it = pick(post->comments, rng);
            return {it->first, it->second.literal};
        }
        return {random_uuid(rng), std::string()};
    };
    // The endpoint is named like the command; every target but newPost's is a post.
    const bool deletes = r.kind == Kind::remove_comment || r.kind == Kind::delete_post;
    r.method = r.kind == Kind::new_post ? "POST" : deletes ? "DELETE" : "PUT";
    r.path = std::string("/api/v1/") + to_string(r.kind) + (r.kind == Kind::new_post ? "" : "/" + r.post_id);
    std::string comment_author;
    if (r.kind == Kind::edit_comment || r.kind == Kind::remove_comment) {
        const auto [id, username] = comment_target();
        r.comment_id = id;
        comment_author = username;
        add("commentId", {"\"" + id + "\"", id});
    }
    // The body's fields per command, in the order they are generated.
    enum class Source { name, text, post_author, comment_author };
    struct Field {
        const char* name;
        Source source;
    };
    static const std::map<Kind, std::vector<Field>> k_fields = {
        {Kind::new_post, {{"author", Source::name}, {"message", Source::text}}},
        {Kind::edit_message, {{"message", Source::text}, {"username", Source::post_author}}},
        {Kind::like, {}},
        {Kind::add_comment, {{"comment", Source::text}, {"username", Source::name}}},
        {Kind::edit_comment, {{"comment", Source::text}, {"username", Source::comment_author}}},
        {Kind::remove_comment, {{"username", Source::comment_author}}},
        {Kind::delete_post, {{"username", Source::post_author}}},
    };
    for (const Field& f : k_fields.at(r.kind)) {
        switch (f.source) {
            case Source::name: add(f.name, strings_.next(false)); break;
            case Source::text: add(f.name, strings_.next(true)); break;
            case Source::post_author: add(f.name, name_or(author)); break;
            case Source::comment_author: add(f.name, name_or(comment_author)); break;
        }
    }

    const unsigned shape = static_cast<unsigned>(rng() % 100);
    if (r.kind != Kind::like && shape < 4) {
        // Malformed bodies: never 5xx, never stored.
        constexpr const char* k_bad[] = {"",
                                         "not json",
                                         "[]",
                                         "{\"author\":1,\"message\":null}",
                                         "{",
                                         "{}",
                                         "{\"author\":\"a\",\"message\":\"m\"} trailing"};
        r.body = k_bad[rng() % std::size(k_bad)];
        return r;
    }
    bool valid_json = true;
    r.body = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) r.body += ",";
        r.body += "\"" + fields[i].first + "\":" + fields[i].second.literal;
        std::string key = fields[i].first;
        key[0] = static_cast<char>(key[0] | 0x20);
        r.literals[key] = fields[i].second.literal;
        if (fields[i].second.decoded) {
            r.fields[key] = *fields[i].second.decoded;
        } else {
            valid_json = false;
        }
    }
    r.body += "}";
    if (!valid_json) r.fields.clear();
    return r;
}

void record_success(std::map<std::string, AcceptedPost>& posts, const CommandRequest& request,
                    const std::string& answered_id) {
    using Kind = CommandRequest::Kind;
    ExpectedEvent event{event_type_of(request.kind), {}};
    const auto field = [&](const char* name) {
        const auto it = request.fields.find(name);
        return it == request.fields.end() ? std::string() : it->second;
    };
    if (request.kind == Kind::new_post) {
        AcceptedPost& post = posts[answered_id];
        // The author's own commands reuse the literal exactly as it was sent.
        post.author = {request.literals.at("author"), field("author")};
        event.data = {{"author", field("author")}, {"message", field("message")}};
        post.events.push_back(std::move(event));
        return;
    }
    AcceptedPost& post = posts[request.post_id];
    switch (request.kind) {
        case Kind::edit_message: event.data = {{"message", field("message")}}; break;
        case Kind::add_comment: {
            event.data = {{"commentId", answered_id}, {"comment", field("comment")}, {"username", field("username")}};
            post.comments[answered_id] = {request.literals.at("username"), field("username")};
            break;
        }
        case Kind::edit_comment: {
            const auto it = post.comments.find(request.comment_id);
            event.data = {{"commentId", request.comment_id},
                          {"comment", field("comment")},
                          {"username", it != post.comments.end() && it->second.decoded ? *it->second.decoded : ""}};
            break;
        }
        case Kind::remove_comment:
            event.data = {{"commentId", request.comment_id}};
            post.comments.erase(request.comment_id);
            break;
        case Kind::delete_post: post.removed = true; break;
        default: break;
    }
    post.events.push_back(std::move(event));
}

}  // namespace fanout::test
