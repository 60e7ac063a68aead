#pragma once
// The analytics tables as plain values: read from a database, or counted
// directly from the events by a plain reference, to compare the two.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <soci/soci.h>

namespace fanout::test {

struct AuthorCounts {
    std::int64_t posts = 0, comments = 0, likes_received = 0;
    bool operator==(const AuthorCounts&) const = default;
};

struct DayCounts {
    std::int64_t posts = 0, comments = 0, likes = 0;
    bool operator==(const DayCounts&) const = default;
};

struct PostCounts {
    std::string author, day_posted;
    std::int64_t likes = 0;
    std::int64_t version = 0;
    bool removed = false;
    bool operator==(const PostCounts&) const = default;
};

struct Tables {
    std::map<std::string, AuthorCounts> authors;
    std::map<std::string, DayCounts> days;
    std::map<std::string, PostCounts> posts;
    bool operator==(const Tables&) const = default;

    std::int64_t total_likes() const;
};

/// analytics_authors, analytics_days and analytics_posts behind `session`.
Tables read_tables(soci::session& session);

/// Up to `limit` differences, one per line ("" when equal).
std::string differences(const Tables& expected, const Tables& actual, std::size_t limit = 10);

/// Sum of the group's positive next offsets: events consumed when every
/// partition started at 0. -1 while the database cannot tell.
std::int64_t analytics_checkpoint_sum(soci::session& session, const std::string& group);

/// The counts as docs define them, one event at a time, written plainly:
/// the expected tables of a valid stream. Events at or below a post's
/// version are skipped, as a replay would be.
class ReferenceCounts {
public:
    void apply(std::string_view envelope);
    const Tables& tables() const { return tables_; }

private:
    Tables tables_;
};

}  // namespace fanout::test
