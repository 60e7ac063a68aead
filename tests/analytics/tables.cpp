#include "tables.hpp"

#include <sstream>
#include <stdexcept>

#include <rapidjson/document.h>

namespace fanout::test {
namespace {

long long as_integer(const soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_long_long: return r.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
        case soci::dt_double: return static_cast<long long>(r.get<double>(i));
        case soci::dt_string: return std::stoll(r.get<std::string>(i));
        default: throw std::runtime_error("unexpected column type for " + r.get_properties(i).get_name());
    }
}

std::string text(const rapidjson::Value& object, const char* field) {
    auto it = object.FindMember(field);
    if (it == object.MemberEnd() || !it->value.IsString()) {
        throw std::runtime_error(std::string("reference counts: missing ") + field);
    }
    return {it->value.GetString(), it->value.GetStringLength()};
}

std::string day_of(const std::string& timestamp) { return timestamp.substr(0, 10); }

}  // namespace

std::int64_t Tables::total_likes() const {
    std::int64_t n = 0;
    for (const auto& [id, p] : posts) n += p.likes;
    return n;
}

Tables read_tables(soci::session& session) {
    Tables t;
    soci::rowset<soci::row> authors =
        (session.prepare << "SELECT author, posts, comments, likes_received FROM analytics_authors");
    for (const soci::row& r : authors) {
        t.authors[r.get<std::string>(0)] = {as_integer(r, 1), as_integer(r, 2), as_integer(r, 3)};
    }
    soci::rowset<soci::row> days = (session.prepare << "SELECT day, posts, comments, likes FROM analytics_days");
    for (const soci::row& r : days) {
        t.days[r.get<std::string>(0)] = {as_integer(r, 1), as_integer(r, 2), as_integer(r, 3)};
    }
    soci::rowset<soci::row> posts = (session.prepare << "SELECT post_id, author, day_posted, likes, applied_version,"
                                                        " removed FROM analytics_posts");
    for (const soci::row& r : posts) {
        t.posts[r.get<std::string>(0)] = {r.get<std::string>(1), r.get<std::string>(2), as_integer(r, 3),
                                          as_integer(r, 4), as_integer(r, 5) != 0};
    }
    return t;
}

std::string differences(const Tables& expected, const Tables& actual, std::size_t limit) {
    std::ostringstream out;
    std::size_t n = 0;
    auto note = [&](const std::string& line) {
        if (n++ < limit) out << line << "\n";
    };
    for (const auto& [name, a] : expected.authors) {
        auto it = actual.authors.find(name);
        if (it == actual.authors.end()) {
            note("author " + name + " missing");
        } else if (!(it->second == a)) {
            const AuthorCounts& b = it->second;
            note("author " + name + ": expected posts/comments/likes_received " + std::to_string(a.posts) + "/" +
                 std::to_string(a.comments) + "/" + std::to_string(a.likes_received) + ", got " +
                 std::to_string(b.posts) + "/" + std::to_string(b.comments) + "/" + std::to_string(b.likes_received));
        }
    }
    for (const auto& [name, a] : actual.authors) {
        if (!expected.authors.count(name)) note("unexpected author " + name);
    }
    for (const auto& [day, d] : expected.days) {
        auto it = actual.days.find(day);
        if (it == actual.days.end()) {
            note("day " + day + " missing");
        } else if (!(it->second == d)) {
            const DayCounts& b = it->second;
            note("day " + day + ": expected posts/comments/likes " + std::to_string(d.posts) + "/" +
                 std::to_string(d.comments) + "/" + std::to_string(d.likes) + ", got " + std::to_string(b.posts) + "/" +
                 std::to_string(b.comments) + "/" + std::to_string(b.likes));
        }
    }
    for (const auto& [day, d] : actual.days) {
        if (!expected.days.count(day)) note("unexpected day " + day);
    }
    for (const auto& [id, p] : expected.posts) {
        auto it = actual.posts.find(id);
        if (it == actual.posts.end()) {
            note("post " + id + " missing");
        } else if (!(it->second == p)) {
            const PostCounts& b = it->second;
            note("post " + id + ": expected author=" + p.author + " day=" + p.day_posted +
                 " likes=" + std::to_string(p.likes) + " version=" + std::to_string(p.version) +
                 " removed=" + std::to_string(p.removed) + ", got author=" + b.author + " day=" + b.day_posted +
                 " likes=" + std::to_string(b.likes) + " version=" + std::to_string(b.version) +
                 " removed=" + std::to_string(b.removed));
        }
    }
    for (const auto& [id, p] : actual.posts) {
        if (!expected.posts.count(id)) note("unexpected post " + id);
    }
    if (n > limit) out << "... " << (n - limit) << " more\n";
    return out.str();
}

std::int64_t analytics_checkpoint(soci::session& session, const std::string& group, const std::string& topic,
                                  int partition) {
    long long next = -2;
    soci::indicator ind = soci::i_null;
    session << "SELECT next_offset FROM analytics_checkpoints"
               " WHERE consumer_group = :g AND topic = :t AND partition_id = :p",
        soci::into(next, ind), soci::use(group), soci::use(topic), soci::use(partition);
    return session.got_data() && ind == soci::i_ok ? next : -2;
}

std::int64_t analytics_checkpoint_sum(soci::session& session, const std::string& group) {
    long long sum = 0;
    try {
        session << "SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT) FROM analytics_checkpoints"
                   " WHERE consumer_group = :g AND next_offset > 0",
            soci::into(sum), soci::use(group);
    } catch (const soci::soci_error&) {
        return -1;  // no schema yet
    }
    return sum;
}

void ReferenceCounts::apply(std::string_view envelope) {
    rapidjson::Document doc;
    doc.Parse(envelope.data(), envelope.size());
    if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("reference counts: not JSON");
    const std::string type = text(doc, "type");
    const std::string post_id = text(doc, "aggregateId");
    const std::int64_t version = doc["version"].GetInt64();
    const rapidjson::Value& data = doc["data"];

    auto post = tables_.posts.find(post_id);
    if (type == "PostCreatedEvent") {
        if (post != tables_.posts.end()) return;
        const std::string author = text(data, "author");
        const std::string day = day_of(text(data, "datePosted"));
        tables_.posts[post_id] = {author, day, 0, version, false};
        ++tables_.authors[author].posts;
        ++tables_.days[day].posts;
        return;
    }
    if (post == tables_.posts.end()) throw std::runtime_error("reference counts: " + type + " for unknown post");
    PostCounts& p = post->second;
    if (version <= p.version) return;
    if (version != p.version + 1 || p.removed) throw std::runtime_error("reference counts: version gap in " + post_id);
    p.version = version;
    if (type == "PostLikedEvent") {
        ++p.likes;
        ++tables_.authors[p.author].likes_received;
        ++tables_.days[day_of(text(doc, "occurredAt"))].likes;
    } else if (type == "CommentAddedEvent") {
        ++tables_.authors[text(data, "username")].comments;
        ++tables_.days[day_of(text(data, "commentDate"))].comments;
    } else if (type == "PostRemovedEvent") {
        p.removed = true;
    }
}

}  // namespace fanout::test
