#include "command_service.hpp"

#include <stdexcept>

#include "log.hpp"
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

}  // namespace

std::shared_ptr<PostAggregate> CommandService::load(const std::string& post_id) {
    AggregateHistory history = readers_.with([&](EventReader& reader) { return reader.load(post_id); });
    auto post = std::make_shared<PostAggregate>(
        history.snapshot ? PostAggregate::from_snapshot(post_id, history.snapshot->version, history.snapshot->state)
                         : PostAggregate(post_id));
    for (const StoredEvent& e : history.events) {
        if (e.version != post->version() + 1) {
            throw std::runtime_error("post " + post_id + ": stored version " + std::to_string(e.version) +
                                     " follows version " + std::to_string(post->version()));
        }
        post->apply(decode_event(e.type, e.data));
    }
    return post;
}

CommandResult CommandService::execute(const std::string& post_id, std::optional<std::int64_t> expected_version,
                                      const Decide& decide) {
    return run(post_id, expected_version, decide, false);
}

CommandResult CommandService::create(const std::string& post_id, const Decide& decide) {
    return run(post_id, std::nullopt, decide, true);
}

CommandResult CommandService::run(const std::string& post_id, std::optional<std::int64_t> expected_version,
                                  const Decide& decide, bool is_new) {
    std::lock_guard serial(cache_.lock_for(post_id));
    for (int attempt = 0;; ++attempt) {
        std::shared_ptr<PostAggregate> post;
        try {
            bool fresh = false;
            if (is_new && attempt == 0) {
                post = std::make_shared<PostAggregate>(post_id);
                fresh = true;
            } else if (!(post = cache_.find(post_id))) {
                post = load(post_id);
                fresh = true;
            }
            // A stale cache entry must not turn into a false 409.
            if (expected_version && post->version() != *expected_version && !fresh) post = load(post_id);
        } catch (const std::exception& e) {
            log().error("loading post {} failed: {}", post_id, e.what());
            return {503, k_store_unavailable, 0};
        }
        if (expected_version && post->version() != *expected_version) {
            if (!post->exists()) return {404, messages::post_not_found, 0};
            return {409,
                    "Concurrency conflict: expected version " + std::to_string(*expected_version) +
                        " but the post is at version " + std::to_string(post->version()) + ".",
                    post->version()};
        }

        const std::string now = now_rfc3339_ms();
        const Decision decision = decide(*post, now);
        if (decision.error) return from_error(*decision.error);

        AppendRequest request;
        request.aggregate_id = post_id;
        request.expected_version = post->version();
        request.events.reserve(decision.events.size());
        for (const DomainEvent& event : decision.events) {
            request.events.push_back(NewEvent{new_uuid(), type_name(event), encode_data(event), now});
        }
        const std::int64_t new_version = post->version() + static_cast<std::int64_t>(decision.events.size());
        if (snapshot_due(post->version(), new_version, policy_.snapshot_interval)) {
            PostAggregate after = *post;
            for (const DomainEvent& event : decision.events) after.apply(event);
            request.snapshot = SnapshotRecord{new_version, after.snapshot_json()};
        }

        switch (appender_.append(request)) {
            case AppendStatus::committed:
                for (const DomainEvent& event : decision.events) post->apply(event);
                cache_.put(post);
                return {is_new ? 201 : 200, {}, post->version()};
            case AppendStatus::conflict:
                cache_.erase(post_id);
                if (expected_version || attempt >= policy_.max_retries) {
                    return {409, "Concurrency conflict: the post was changed by another writer; retry the command.", 0};
                }
                log().debug("conflict on post {} at version {}, retrying ({} of {})", post_id, request.expected_version,
                            attempt + 1, policy_.max_retries);
                continue;
            case AppendStatus::failed:
                cache_.erase(post_id);  // the outcome is unknown: reload next time
                return {503, k_append_failed, 0};
        }
    }
}

}  // namespace fanout::post_command
