#pragma once
// Reading a projection back in tests: rows keyed by their first column,
// integers of any column type, likes summed, text fields of an event envelope, a projection's checkpoints, and what
// differs between two maps of rows, readably. Header-only: the plugins' benchmarks compile the tests' readers without
// linking a test library.
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>
#include <soci/soci.h>

namespace fanout::test {

/// Column `i` of `r` as an integer, whatever type the backend reports.
inline long long as_integer(const soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_long_long: return r.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
        case soci::dt_double: return static_cast<long long>(r.get<double>(i));
        case soci::dt_string: return std::stoll(r.get<std::string>(i));
        default: throw std::runtime_error("unexpected column type for " + r.get_properties(i).get_name());
    }
}

/// Every row of `query` into `into`, keyed by its first column (text), the
/// value made by `make(row)`.
template <class Map, class Make>
void read_keyed(soci::session& session, const std::string& query, Map& into, Make make) {
    soci::rowset<soci::row> rows = (session.prepare << query);
    for (const soci::row& r : rows) into[r.get<std::string>(0)] = make(r);
}

/// The sum of `likes` over the rows of a map.
template <class Map>
std::int64_t sum_of_likes(const Map& rows) {
    std::int64_t n = 0;
    for (const auto& [key, row] : rows) n += row.likes;
    return n;
}

/// The string member `field` of `object`; throws naming `reader` when missing.
inline std::string json_text(const rapidjson::Value& object, const char* field, const std::string& reader) {
    auto it = object.FindMember(field);
    if (it == object.MemberEnd() || !it->value.IsString()) {
        throw std::runtime_error(reader + ": missing " + field);
    }
    return {it->value.GetString(), it->value.GetStringLength()};
}

/// An event envelope (docs/events.md) parsed for a reference to fold.
struct ParsedEnvelope {
    /// Throws naming `reader` when `envelope` is not a JSON envelope.
    ParsedEnvelope(std::string_view envelope, std::string reader) : reader_(std::move(reader)) {
        doc.Parse(envelope.data(), envelope.size());
        if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error(reader_ + ": not JSON");
        type = envelope_text("type");
        post_id = envelope_text("aggregateId");
        version = doc["version"].GetInt64();
    }
    /// A string field of the envelope, or of its data; throws when missing.
    std::string envelope_text(const char* field) const { return json_text(doc, field, reader_); }
    std::string data_text(const char* field) const { return json_text(doc["data"], field, reader_); }

    rapidjson::Document doc;
    std::string type, post_id;
    std::int64_t version = 0;

private:
    std::string reader_;
};

/// The next offset stored in the checkpoint table `table`, or -2 when there is no row.
inline std::int64_t stored_checkpoint(soci::session& session, const std::string& table, const std::string& group,
                                      const std::string& topic, int partition) {
    long long next = -2;
    soci::indicator ind = soci::i_null;
    session << "SELECT next_offset FROM " + table + " WHERE consumer_group = :g AND topic = :t AND partition_id = :p",
        soci::into(next, ind), soci::use(group), soci::use(topic), soci::use(partition);
    return session.got_data() && ind == soci::i_ok ? next : -2;
}

/// Sum of the group's positive next offsets in `table`: events consumed when
/// every partition started at 0. -1 while the database cannot tell (no
/// schema yet, or the server is restarting).
inline std::int64_t stored_checkpoint_sum(soci::session& session, const std::string& table, const std::string& group) {
    long long sum = 0;
    try {
        session << "SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT) FROM " + table +
                       " WHERE consumer_group = :g AND next_offset > 0",
            soci::into(sum), soci::use(group);
    } catch (const soci::soci_error&) {
        return -1;
    }
    return sum;
}

/// Up to `limit` differences, one a line.
class Differences {
public:
    explicit Differences(std::size_t limit) : limit_(limit) {}

    void note(const std::string& line) {
        if (count_++ < limit_) out_ << line << "\n";
    }
    /// Keys of `expected` missing from `actual`, keys of `actual` not
    /// expected, and rows that differ, shown by `show(row)`:
    /// "<what> <key>: expected <show>, got <show>".
    template <class Map, class Show>
    void compare(const std::string& what, const Map& expected, const Map& actual, Show show) {
        for (const auto& [key, row] : expected) {
            const auto it = actual.find(key);
            if (it == actual.end()) {
                note(what + " " + key + " missing");
            } else if (!(it->second == row)) {
                note(what + " " + key + ": expected " + show(row) + ", got " + show(it->second));
            }
        }
        for (const auto& [key, row] : actual) {
            if (!expected.count(key)) note("unexpected " + what + " " + key);
        }
    }
    /// The lines ("" when nothing differs).
    std::string text() const {
        return count_ > limit_ ? out_.str() + "... " + std::to_string(count_ - limit_) + " more\n" : out_.str();
    }

private:
    std::size_t limit_;
    std::size_t count_ = 0;
    std::ostringstream out_;
};

}  // namespace fanout::test
