#pragma once
// Events -> read model changes, in memory, for one batch.
//
// The projection of the seed system, made idempotent and strict by the
// aggregate version: an event at or below a post's applied version is a
// duplicate and changes nothing; the next version applies; anything else
// (a gap, an unknown or removed post, a malformed envelope, data that is not
// valid event data by fanout/common/event_data.hpp) is rejected with a reason. Several events of one post in a batch
// fold into one row change per post and per comment.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "change_set.hpp"
#include "fanout/event.hpp"
#include "fanout/sql/aggregate_batch.hpp"
#include "fanout/sql/projection_plugin.hpp"

namespace fanout::plugins::sql_read_model {

/// applied (changes the model), duplicate (at or below the applied version:
/// nothing to do), ignored (a type the read model does not show: only the
/// version moves), rejected (dead-letter it, with the reason).
using Verdict = sql::Verdict;

/// Reused across batches (keeps its allocations). Not thread-safe.
class Projection {
public:
    /// Read each event's envelope once. Returns the distinct post ids the
    /// events touch, in first-seen order: load their stored state, then
    /// call project(). Valid, like the events, during the handle() call.
    const std::vector<std::string_view>& prepare(std::span<const Event* const> events);

    /// Fold the prepared events (in batch order) over `stored` (aligned
    /// with prepare()'s ids). Fills `verdicts`, one per event. The result is
    /// valid until the next prepare().
    const ChangeSet& project(const StoredPosts& stored, std::vector<Verdict>& verdicts);

    /// The index into prepare()'s ids of event `i`'s post; SIZE_MAX for a
    /// malformed envelope.
    std::size_t post_of(std::size_t i) const noexcept { return batch_.aggregate_of(i); }

private:
    using State = sql::AggregateBatch::State;
    using Head = sql::AggregateBatch::Head;
    /// What the batch adds to a post besides its state and version.
    struct PostWork {
        std::string_view author, date_posted, created_message;  ///< set when created in this batch
        std::optional<std::string_view> message;                ///< last MessageUpdated
        std::int64_t likes = 0;
    };
    enum class CommentChange { upsert, update, deletion };
    struct CommentWork {
        CommentChange change = CommentChange::upsert;
        std::uint32_t post = 0;  ///< its post: index into batch_.ids() and posts_
        std::string_view username, comment, date;
        bool edited = false;
    };

    Verdict apply_type(const Event& event, std::string_view type, std::uint32_t post_index);
    Verdict change_comment(const Event& event, std::uint32_t post, CommentChange change);
    void emit();

    sql::AggregateBatch batch_;
    std::vector<PostWork> posts_;  ///< aligned with batch_.ids()
    std::unordered_map<std::string_view, CommentWork> comments_;
    std::vector<std::string_view> comment_order_;
    ChangeSet changes_;
};

}  // namespace fanout::plugins::sql_read_model
