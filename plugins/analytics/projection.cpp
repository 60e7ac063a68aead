#include "projection.hpp"

#include <algorithm>

#include "fanout/common/event_data.hpp"

namespace fanout::plugins::analytics {
namespace {

constexpr std::string_view k_post_created = "PostCreatedEvent";
constexpr std::string_view k_message_updated = "MessageUpdatedEvent";
constexpr std::string_view k_post_liked = "PostLikedEvent";
constexpr std::string_view k_comment_added = "CommentAddedEvent";
constexpr std::string_view k_comment_updated = "CommentUpdatedEvent";
constexpr std::string_view k_comment_removed = "CommentRemovedEvent";
constexpr std::string_view k_post_removed = "PostRemovedEvent";

Verdict reject(std::string reason) { return {Verdict::Kind::rejected, std::move(reason), false}; }

std::string str(std::string_view s) { return std::string(s); }

using event_data::Kind;

/// A required data field that is valid event data of `kind` (the rule
/// post-command checks before it appends); nullopt when missing or invalid.
std::optional<std::string_view> field(const Event& event, std::string_view name, Kind kind) {
    auto value = event.data().string(name);
    if (value && !event_data::valid(kind, *value)) return std::nullopt;
    return value;
}

/// The reject for a field field() refused, saying what was expected.
Verdict invalid(const Event& event, std::string_view type, std::string_view name, Kind kind) {
    const auto value = event.data().string(name);
    if (!value) return reject(str(type) + ": data." + str(name) + " is missing or not a string");
    return reject(str(type) + ": " + event_data::explain("data." + str(name), kind, event_data::check(kind, *value)));
}

/// The UTC day of a required timestamp field; nullopt when missing or invalid.
std::optional<std::string_view> day_field(const Event& event, std::string_view name) {
    const auto value = field(event, name, Kind::timestamp);
    if (!value) return std::nullopt;
    return utc_day(*value);
}

bool digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::vector<std::string_view>& Projection::prepare(std::span<const Event* const> events) {
    heads_.resize(events.size());
    index_.clear();
    ids_.clear();
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = *events[i];
        Head& h = heads_[i];
        h = Head{&e, {}, 0, 0, nullptr};
        if (!e.envelope_valid()) {
            h.malformed = "malformed envelope: not a JSON event envelope";
            continue;
        }
        const std::string_view post_id = e.aggregate_id();
        h.type = e.type();
        h.version = e.version();
        if (!event_data::valid(Kind::id, post_id)) {
            h.malformed = "malformed envelope: missing or invalid aggregateId";
        } else if (h.type.empty()) {
            h.malformed = "malformed envelope: missing type";
        } else if (h.version < 1) {
            h.malformed = "malformed envelope: missing or invalid version";
        } else {
            const auto [it, inserted] = index_.try_emplace(post_id, static_cast<std::uint32_t>(ids_.size()));
            if (inserted) ids_.push_back(post_id);
            h.post = it->second;
        }
    }
    return ids_;
}

std::string_view utc_day(std::string_view timestamp) noexcept {
    if (timestamp.size() < 10 || timestamp[4] != '-' || timestamp[7] != '-') return {};
    if (timestamp.size() > 10 && timestamp[10] != 'T' && timestamp[10] != 't' && timestamp[10] != ' ') return {};
    const std::string_view day = timestamp.substr(0, 10);
    if (!digits(day.substr(0, 4)) || !digits(day.substr(5, 2)) || !digits(day.substr(8, 2))) return {};
    const int month = (day[5] - '0') * 10 + (day[6] - '0');
    const int mday = (day[8] - '0') * 10 + (day[9] - '0');
    if (month < 1 || month > 12 || mday < 1 || mday > 31) return {};
    return day;
}

const ChangeSet& Projection::project(const StoredPosts& stored, std::vector<Verdict>& verdicts) {
    posts_.assign(ids_.size(), PostWork{});
    for (std::size_t i = 0; i < ids_.size() && i < stored.size(); ++i) {
        if (!stored[i]) continue;
        PostWork& w = posts_[i];
        w.stored_state = w.state = stored[i]->removed ? State::removed : State::live;
        w.stored_version = w.version = stored[i]->version;
        w.author = stored[i]->author;
    }
    authors_.clear();
    days_.clear();
    changes_.clear();
    verdicts.resize(heads_.size());
    for (std::size_t i = 0; i < heads_.size(); ++i) verdicts[i] = apply(heads_[i]);
    emit();
    return changes_;
}

Verdict Projection::apply(const Head& head) {
    if (head.malformed != nullptr) return reject(head.malformed);
    const std::string_view post_id = ids_[head.post];
    const std::string_view type = head.type;
    const std::int64_t version = head.version;
    PostWork& post = posts_[head.post];
    if (post.state != State::absent && version <= post.version) return {Verdict::Kind::duplicate, {}, false};
    const auto what = [&] { return str(type) + " version " + std::to_string(version); };
    switch (post.state) {
        case State::removed:
            return reject("post " + str(post_id) + " was removed at version " + std::to_string(post.version) + ": " +
                          what());
        case State::absent:
            if (type != k_post_created) {
                Verdict v = reject("unknown post " + str(post_id) + ": " + what());
                v.unknown_post = true;
                return v;
            }
            if (version != 1) return reject("version gap: post " + str(post_id) + " does not exist, " + what());
            break;
        case State::live:
            if (version != post.version + 1) {
                return reject("version gap: post " + str(post_id) + " is at version " + std::to_string(post.version) +
                              ", " + what());
            }
            if (type == k_post_created) return reject("post " + str(post_id) + " already exists: " + what());
            break;
    }
    Verdict verdict = apply_type(*head.event, type, post);
    if (verdict.kind != Verdict::Kind::rejected) post.version = version;
    return verdict;
}

Verdict Projection::apply_type(const Event& event, std::string_view type, PostWork& post) {
    // Every field is checked before anything is counted: a rejected event
    // leaves no trace.
    if (type == k_post_liked) {
        const std::string_view occurred_at = event.occurred_at();
        const event_data::Check check = event_data::check(Kind::timestamp, occurred_at);
        if (!check) return reject(str(type) + ": " + event_data::explain("occurredAt", Kind::timestamp, check));
        const std::string_view when = utc_day(occurred_at);
        ++post.likes;
        author(post.author).likes_received += 1;
        day(when).likes += 1;
    } else if (type == k_comment_added) {
        if (!field(event, "commentId", Kind::id)) return invalid(event, type, "commentId", Kind::id);
        if (!field(event, "comment", Kind::text)) return invalid(event, type, "comment", Kind::text);
        const auto username = field(event, "username", Kind::name);
        if (!username) return invalid(event, type, "username", Kind::name);
        const auto when = day_field(event, "commentDate");
        if (!when) return invalid(event, type, "commentDate", Kind::timestamp);
        author(*username).comments += 1;
        day(*when).comments += 1;
    } else if (type == k_comment_updated) {
        if (!field(event, "commentId", Kind::id)) return invalid(event, type, "commentId", Kind::id);
        if (!field(event, "comment", Kind::text)) return invalid(event, type, "comment", Kind::text);
        if (!field(event, "username", Kind::name)) return invalid(event, type, "username", Kind::name);
        if (!field(event, "editDate", Kind::timestamp)) return invalid(event, type, "editDate", Kind::timestamp);
    } else if (type == k_comment_removed) {
        if (!field(event, "commentId", Kind::id)) return invalid(event, type, "commentId", Kind::id);
    } else if (type == k_message_updated) {
        if (!field(event, "message", Kind::text)) return invalid(event, type, "message", Kind::text);
    } else if (type == k_post_created) {
        const auto name = field(event, "author", Kind::name);
        if (!name) return invalid(event, type, "author", Kind::name);
        if (!field(event, "message", Kind::text)) return invalid(event, type, "message", Kind::text);
        const auto when = day_field(event, "datePosted");
        if (!when) return invalid(event, type, "datePosted", Kind::timestamp);
        post.state = State::live;
        post.author = *name;
        post.day_posted = *when;
        author(*name).posts += 1;
        day(*when).posts += 1;
    } else if (type == k_post_removed) {
        post.state = State::removed;
    } else {
        return {Verdict::Kind::ignored, {}, false};
    }
    return {Verdict::Kind::applied, {}, false};
}

AuthorDelta& Projection::author(std::string_view name) {
    AuthorDelta& delta = authors_[name];
    delta.author = name;
    return delta;
}

DayDelta& Projection::day(std::string_view day) {
    DayDelta& delta = days_[day];
    delta.day = day;
    return delta;
}

void Projection::emit() {
    for (std::size_t i = 0; i < ids_.size(); ++i) {
        const PostWork& w = posts_[i];
        if (w.state == w.stored_state && w.version == w.stored_version) continue;
        if (w.stored_state == State::absent) {
            changes_.new_posts.push_back(
                {ids_[i], w.author, w.day_posted, w.likes, w.version, w.state == State::removed});
        } else if (w.stored_state == State::live) {
            changes_.post_updates.push_back({ids_[i], w.likes, w.version, w.stored_version, w.state == State::removed});
        }
    }
    for (const auto& [name, delta] : authors_) changes_.authors.push_back(delta);
    for (const auto& [name, delta] : days_) changes_.days.push_back(delta);
    std::sort(changes_.authors.begin(), changes_.authors.end(),
              [](const AuthorDelta& a, const AuthorDelta& b) { return a.author < b.author; });
    std::sort(changes_.days.begin(), changes_.days.end(),
              [](const DayDelta& a, const DayDelta& b) { return a.day < b.day; });
}

}  // namespace fanout::plugins::analytics
