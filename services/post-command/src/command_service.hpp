#pragma once
// Runs one command on one post: load (cache or store: snapshot + replay),
// decide (PostAggregate), append (group commit), update the cache.
//
// Concurrency policy: commands on one post are serialised inside this
// process, so they never conflict with each other. A conflict can only come
// from another process writing the same store; it is retried with a fresh
// load up to `max_retries` times, then answered 409. A client's If-Match
// expected version is never retried: a mismatch is 409 at once.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "aggregate_cache.hpp"
#include "appender.hpp"
#include "post_aggregate.hpp"
#include "reader_pool.hpp"

namespace fanout::post_command {

struct CommandResult {
    int status = 500;  ///< 200, 201, 400, 404, 409 or 503
    std::string message;
    std::int64_t version = 0;  ///< the post's version after a success
};

struct CommandPolicy {
    std::int64_t snapshot_interval = 100;
    int max_retries = 3;
};

class CommandService {
public:
    /// `decide(post, now)`: the aggregate's decision; `now` is the UTC time
    /// stamped on the events.
    using Decide = std::function<Decision(const PostAggregate& post, const std::string& now)>;

    CommandService(AggregateCache& cache, ReaderPool& readers, Appender& appender, CommandPolicy policy)
        : cache_(cache), readers_(readers), appender_(appender), policy_(policy) {}

    /// A command on the existing post `post_id` (canonical UUID).
    CommandResult execute(const std::string& post_id, std::optional<std::int64_t> expected_version,
                          const Decide& decide);

    /// A command creating the post `post_id` (a fresh UUID): no load.
    CommandResult create(const std::string& post_id, const Decide& decide);

private:
    CommandResult run(const std::string& post_id, std::optional<std::int64_t> expected_version, const Decide& decide,
                      bool is_new);
    std::shared_ptr<PostAggregate> load(const std::string& post_id);

    AggregateCache& cache_;
    ReaderPool& readers_;
    Appender& appender_;
    CommandPolicy policy_;
};

}  // namespace fanout::post_command
