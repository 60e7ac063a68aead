#pragma once
// How every projection of the post events judges events it cannot apply:
// the reason a post's state gives (version gap, unknown, existing, removed
// post), a malformed envelope, and event data outside the rules post-command
// applies before it appends (fanout/common/event_data.hpp). Batches of
// events, each with the verdict the projection must give, for
// ProjectionConformance.InvalidEventsAreRejectedWithTheirReasonAndChangeNothing.
#include <string>
#include <vector>

#include "event_builder.hpp"

namespace fanout::test {

struct Judged {
    FakeEvent event;
    /// "done", "duplicate" (done, and skipped as one), "reject: <reason>", or
    /// "reject: <start of the reason>..." when only its start is fixed.
    std::string verdict;
};

struct VerdictCase {
    std::string name;
    std::vector<std::vector<Judged>> batches;  ///< handed in order, to one owner of partition 0
};

std::vector<VerdictCase> verdict_cases();

/// True when `actual` ("done", "reject: ...", as describe() gives it) is the `expected` verdict.
bool matches(const std::string& actual, const std::string& expected);

}  // namespace fanout::test
