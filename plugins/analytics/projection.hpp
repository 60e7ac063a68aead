#pragma once
// Events -> analytics deltas, in memory, for one batch.
//
// Idempotent and strict by the aggregate version (fanout/sql/aggregate_batch.hpp):
// an event at or below a post's applied version is a duplicate and counts
// nothing; the next version applies; anything else is rejected with a
// reason. The batch folds into one row change per post, author and day.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "change_set.hpp"
#include "fanout/event.hpp"
#include "fanout/sql/aggregate_batch.hpp"

namespace fanout::plugins::analytics {

struct Verdict {
    enum class Kind {
        applied,    ///< counted (or, for edits and comment removals, only the version moves)
        duplicate,  ///< at or below the applied version: nothing to do
        ignored,    ///< an event type analytics does not know: only the version moves
        rejected,   ///< dead-letter it, with `reason`
    };
    Kind kind = Kind::applied;
    std::string reason;
    bool unknown_post = false;  ///< rejected because the post was never created
};

/// Reused across batches (keeps its allocations). Not thread-safe.
class Projection {
public:
    /// Read each event's envelope once. Returns the distinct post ids the
    /// events touch, in first-seen order: load their stored state, then call
    /// project(). Valid, like the events, during the handle() call.
    const std::vector<std::string_view>& prepare(std::span<const Event* const> events);

    /// Fold the prepared events (in batch order) over `stored` (aligned with
    /// prepare()'s ids; must stay unchanged while the result is used). Fills
    /// `verdicts`, one per event. The result is valid until the next prepare().
    const ChangeSet& project(const StoredPosts& stored, std::vector<Verdict>& verdicts);

private:
    using State = sql::AggregateBatch::State;
    using Head = sql::AggregateBatch::Head;
    /// What the batch adds to a post besides its state and version.
    struct PostWork {
        std::string_view author, day_posted;
        std::int64_t likes = 0;
    };

    Verdict apply(const Head& head);
    Verdict apply_type(const Event& event, std::string_view type, sql::AggregateBatch::Aggregate& state,
                       PostWork& post);
    AuthorDelta& author(std::string_view name);
    DayDelta& day(std::string_view day);
    void emit();

    sql::AggregateBatch batch_;
    std::vector<PostWork> posts_;  ///< aligned with batch_.ids()
    std::unordered_map<std::string_view, AuthorDelta> authors_;
    std::unordered_map<std::string_view, DayDelta> days_;
    ChangeSet changes_;
};

/// "YYYY-MM-DD" of an RFC 3339 timestamp, or empty when it does not start
/// with a date. Events' timestamps are UTC (fanout/common/event_data.hpp), so
/// this is their UTC day.
std::string_view utc_day(std::string_view timestamp) noexcept;

}  // namespace fanout::plugins::analytics
