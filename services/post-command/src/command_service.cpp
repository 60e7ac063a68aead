#include "command_service.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "log.hpp"
#include "post_history.hpp"
#include "snapshot_store.hpp"
#include "utc_clock.hpp"
#include "uuid.hpp"

namespace fanout::post_command {
namespace {

CommandResult from_error(const CommandError& error) {
    return {error.kind == CommandError::Kind::not_found ? 404 : 400, error.message, 0};
}

constexpr const char* k_store_unavailable = "The event store is unavailable; the command was not applied, retry later.";
constexpr const char* k_append_failed =
    "The event store failed during the append; the command may or may not have been applied, check before retrying.";
constexpr const char* k_conflict = "Concurrency conflict: the post was changed by another writer; retry the command.";
constexpr const char* k_stopping = "The service is shutting down; the command was not applied, retry later.";

}  // namespace

/// One post of a group: its state as the group's commands leave it.
struct CommandService::Slot {
    std::shared_ptr<PostAggregate> post;  // null: could not be loaded
    bool fresh = false;                   // created or loaded for this group (not a cached, maybe stale, copy)
    std::optional<std::size_t> request;   // its AppendRequest in this group, once a command produced events
    /// Commands whose answer waits for the commit: index in the group, the
    /// answer if it commits, whether it produced events.
    struct Member {
        std::size_t command;
        CommandResult result;
        bool produced_events;
    };
    std::vector<Member> members;
};

CommandService::CommandService(AggregateCache& cache, ReaderPool& readers, EventWriter& writer, CommandPolicy policy,
                               std::function<void()> on_committed)
    : cache_(cache), readers_(readers), writer_(writer), policy_(policy), on_committed_(std::move(on_committed)) {
    policy_.max_group_commit = std::max<std::size_t>(1, policy_.max_group_commit);
}

CommandService::~CommandService() { stop(); }

void CommandService::start() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
}

void CommandService::submit(Command command) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(command));
            if (queue_.size() == 1) queued_.notify_one();
            return;
        }
    }
    command.done({503, k_stopping, 0});
}

void CommandService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    queued_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Never started: nobody decided these.
    std::deque<Command> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(queue_);
    }
    for (Command& command : left) command.done({503, k_stopping, 0});
}

void CommandService::run() {
    std::vector<Command> group, retry;
    for (;;) {
        group.swap(retry);  // commands to decide again go first, at once
        retry.clear();
        {
            std::unique_lock lock(mutex_);
            if (group.empty()) queued_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            while (!queue_.empty() && group.size() < policy_.max_group_commit) {
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (group.empty() && stopping_) return;  // everything queued has been answered
        }
        process(group, retry);
        group.clear();
    }
}

std::shared_ptr<PostAggregate> CommandService::load(const std::string& post_id) {
    const AggregateHistory history = readers_.with([&](EventReader& reader) { return reader.load(post_id); });
    return std::make_shared<PostAggregate>(replay(post_id, history));
}

void CommandService::process(std::vector<Command>& group, std::vector<Command>& retry) {
    const std::string now = now_rfc3339_ms();
    std::unordered_map<std::string, Slot> slots;
    slots.reserve(group.size());
    std::vector<AppendRequest> requests;
    std::vector<Slot*> request_slots;

    const auto load_into = [&](Slot& slot, const std::string& post_id) {
        try {
            slot.post = load(post_id);
            slot.fresh = true;
        } catch (const std::exception& e) {
            log().error("loading post {} failed: {}", post_id, e.what());
            slot.post = nullptr;
        }
    };

    for (std::size_t i = 0; i < group.size(); ++i) {
        Command& command = group[i];
        auto [it, first_use] = slots.try_emplace(command.post_id);
        Slot& slot = it->second;
        if (first_use) {
            if (command.is_new && command.attempt == 0) {
                slot.post = std::make_shared<PostAggregate>(command.post_id);
                slot.fresh = true;
            } else if (!(slot.post = cache_.find(command.post_id))) {
                load_into(slot, command.post_id);
            }
        }
        // A stale cache entry must not turn into a false 409.
        if (slot.post && command.expected_version && slot.post->version() != *command.expected_version && !slot.fresh &&
            !slot.request) {
            load_into(slot, command.post_id);
        }
        if (!slot.post) {
            command.done({503, k_store_unavailable, 0});
            continue;
        }
        const PostAggregate& post = *slot.post;

        CommandResult result;
        std::optional<Decision> decision;
        if (command.expected_version && post.version() != *command.expected_version) {
            if (!post.exists()) {
                result = {404, messages::post_not_found, 0};
            } else {
                result = {409,
                          "Concurrency conflict: expected version " + std::to_string(*command.expected_version) +
                              " but the post is at version " + std::to_string(post.version()) + ".",
                          post.version()};
            }
        } else if (std::optional<std::string> refusal;
                   command.authorize && post.exists() && (refusal = command.authorize(post))) {
            result = {403, std::move(*refusal), 0};
        } else {
            try {
                decision = command.decide(post, now);
            } catch (const std::exception& e) {
                log().error("deciding a command on post {} failed: {}", command.post_id, e.what());
                result = {503, k_store_unavailable, 0};
            }
            if (decision && decision->error) result = from_error(*decision->error);
        }

        if (!decision || decision->error || decision->events.empty()) {
            // Refused. If the group already holds events of this post, the
            // refusal was decided against them: answer once they commit.
            if (slot.request) {
                slot.members.push_back({i, std::move(result), false});
            } else {
                command.done(std::move(result));
            }
            continue;
        }

        if (!slot.request) {
            slot.request = requests.size();
            AppendRequest& r = requests.emplace_back();
            r.aggregate_id = command.post_id;
            r.expected_version = post.version();
            request_slots.push_back(&slot);
        }
        AppendRequest& request = requests[*slot.request];
        for (const DomainEvent& event : decision->events) {
            request.events.push_back(NewEvent{new_uuid(), type_name(event), encode_data(event), now, command.actor});
            slot.post->apply(event);  // the cached copy too: evicted below unless the commit succeeds
        }
        slot.members.push_back({i, {command.is_new ? 201 : 200, {}, slot.post->version()}, true});
    }
    if (requests.empty()) return;

    for (std::size_t r = 0; r < requests.size(); ++r) {
        AppendRequest& request = requests[r];
        const PostAggregate& after = *request_slots[r]->post;
        if (snapshot_due(request.expected_version, after.version(), policy_.snapshot_interval)) {
            request.snapshot = SnapshotRecord{after.version(), after.snapshot_json()};
        }
    }
    std::vector<const AppendRequest*> pointers;
    pointers.reserve(requests.size());
    for (const AppendRequest& r : requests) pointers.push_back(&r);
    const std::vector<AppendStatus> statuses = writer_.append(pointers);
    // Counted before any reply: whoever sees an answer sees its commit counted.
    const bool any_committed = std::find(statuses.begin(), statuses.end(), AppendStatus::committed) != statuses.end();
    if (any_committed) ++commits_;

    for (std::size_t r = 0; r < requests.size(); ++r) {
        Slot& slot = *request_slots[r];
        switch (statuses[r]) {
            case AppendStatus::committed:
                cache_.put(slot.post);
                for (Slot::Member& m : slot.members) group[m.command].done(std::move(m.result));
                break;
            case AppendStatus::conflict:
                cache_.erase(requests[r].aggregate_id);
                for (Slot::Member& m : slot.members) {
                    Command& command = group[m.command];
                    if (command.expected_version || command.attempt >= policy_.max_retries) {
                        command.done({409, k_conflict, 0});
                    } else {
                        log().debug("conflict on post {} at version {}, retrying ({} of {})", command.post_id,
                                    requests[r].expected_version, command.attempt + 1, policy_.max_retries);
                        ++command.attempt;
                        retry.push_back(std::move(command));
                    }
                }
                break;
            case AppendStatus::failed:
                cache_.erase(requests[r].aggregate_id);  // the outcome is unknown: reload next time
                for (Slot::Member& m : slot.members) {
                    group[m.command].done({503, m.produced_events ? k_append_failed : k_store_unavailable, 0});
                }
                break;
        }
    }
    if (any_committed && on_committed_) on_committed_();
}

}  // namespace fanout::post_command
