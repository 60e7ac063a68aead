#pragma once
// The command pipeline: HTTP threads submit commands; one command thread
// takes everything queued (up to `max_group_commit`), and for the whole group
// loads (cache, else snapshot + replay), decides (PostAggregate) and appends
// in one transaction, then answers each command.
//
// One thread decides and appends, so commands never race each other inside
// this process, and several commands on one post in a group are decided in
// order, each against the state after the previous ones, and appended as one
// request: a hot post costs one commit per group, not one per command.
// Answers that depend on the group's commit (its events, or a refusal decided
// against its uncommitted events) are sent only once the commit's outcome is
// known.
//
// Concurrency policy: a conflict can only come from another process writing
// the same store (the unique key on aggregate and version); the post is
// evicted, reloaded and its commands decided again, up to `max_retries`
// times, then answered 409. A client's If-Match expected version is never
// retried: a mismatch is 409 at once.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aggregate_cache.hpp"
#include "event_store.hpp"
#include "post_aggregate.hpp"
#include "reader_pool.hpp"

namespace fanout::post_command {

struct CommandResult {
    int status = 500;  ///< 200, 201, 400, 403, 404, 409 or 503
    std::string message;
    std::int64_t version = 0;  ///< the post's version after a success (or the current one for a 409)
};

struct CommandPolicy {
    std::int64_t snapshot_interval = 100;
    int max_retries = 3;
    std::size_t max_group_commit = 256;
};

/// `decide(post, now)`: the aggregate's decision; `now` is the UTC time
/// stamped on the events. Runs on the command thread; it must own (copy)
/// what it reads.
using Decide = std::function<Decision(const PostAggregate& post, const std::string& now)>;

/// Whether the acting user may run the command on an existing post (asked
/// before `decide`, on the command thread): nothing, or the message of a 403.
using Authorize = std::function<std::optional<std::string>(const PostAggregate& post)>;

struct Command {
    std::string post_id;  ///< canonical UUID
    std::optional<std::int64_t> expected_version;
    Decide decide;
    bool is_new = false;  ///< creates the post `post_id` (a fresh UUID): no load
    /// Called exactly once with the outcome, from the command thread (or from
    /// submit() after stop()).
    std::function<void(CommandResult)> done;
    int attempt = 0;
    Authorize authorize = {};  ///< empty: anyone may
    std::string actor = {};    ///< who acts (the token's user), recorded on each event; empty: nobody authenticated
};

class CommandService {
public:
    /// `on_committed` runs on the command thread after each commit that
    /// appended something (the relay's wake-up).
    CommandService(AggregateCache& cache, ReaderPool& readers, EventWriter& writer, CommandPolicy policy,
                   std::function<void()> on_committed);
    ~CommandService();

    CommandService(const CommandService&) = delete;
    CommandService& operator=(const CommandService&) = delete;

    void start();
    /// Queue a command (decided once start() has run). Thread-safe, never
    /// blocks on the store. After stop() it is answered 503 at once.
    void submit(Command command);
    /// Decide and answer everything queued (503 if never started), then stop
    /// the thread. Idempotent.
    void stop();

    /// Groups committed so far (for tests and the bench's figures).
    std::uint64_t commits() const { return commits_; }

private:
    struct Slot;
    void run();
    /// Decide and append one group; commands to decide again go to `retry`.
    void process(std::vector<Command>& group, std::vector<Command>& retry);
    std::shared_ptr<PostAggregate> load(const std::string& post_id);

    AggregateCache& cache_;
    ReaderPool& readers_;
    EventWriter& writer_;  // the command thread's only
    CommandPolicy policy_;
    std::function<void()> on_committed_;

    std::mutex mutex_;
    std::condition_variable queued_;
    std::deque<Command> queue_;
    bool stopping_ = false;
    bool started_ = false;
    std::thread thread_;
    std::atomic<std::uint64_t> commits_{0};
};

}  // namespace fanout::post_command
