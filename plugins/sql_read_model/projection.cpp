#include "projection.hpp"

#include "fanout/common/event_data.hpp"

namespace fanout::plugins::sql_read_model {
namespace {

constexpr std::string_view k_post_created = "PostCreatedEvent";
constexpr std::string_view k_message_updated = "MessageUpdatedEvent";
constexpr std::string_view k_post_liked = "PostLikedEvent";
constexpr std::string_view k_comment_added = "CommentAddedEvent";
constexpr std::string_view k_comment_updated = "CommentUpdatedEvent";
constexpr std::string_view k_comment_removed = "CommentRemovedEvent";
constexpr std::string_view k_post_removed = "PostRemovedEvent";

Verdict reject(std::string reason) { return {Verdict::Kind::rejected, std::move(reason)}; }

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

const ChangeSet& Projection::project(const StoredPosts& stored, std::vector<Verdict>& verdicts) {
    posts_.assign(ids_.size(), PostWork{});
    for (std::size_t i = 0; i < ids_.size() && i < stored.size(); ++i) {
        if (!stored[i]) continue;
        PostWork& w = posts_[i];
        w.stored_state = w.state = stored[i]->removed ? State::removed : State::live;
        w.stored_version = w.version = stored[i]->version;
    }
    comments_.clear();
    comment_order_.clear();
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
    if (post.state != State::absent && version <= post.version) return {Verdict::Kind::duplicate, {}};
    const auto what = [&] { return str(type) + " version " + std::to_string(version); };
    switch (post.state) {
        case State::removed:
            return reject("post " + str(post_id) + " was removed at version " + std::to_string(post.version) + ": " +
                          what());
        case State::absent:
            if (type != k_post_created) return reject("unknown post " + str(post_id) + ": " + what());
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
    Verdict verdict = apply_type(*head.event, type, head.post, post);
    if (verdict.kind != Verdict::Kind::rejected) post.version = version;
    return verdict;
}

Verdict Projection::apply_type(const Event& event, std::string_view type, std::uint32_t post_index, PostWork& post) {
    if (type == k_post_liked) {
        ++post.likes;
    } else if (type == k_comment_added) {
        return change_comment(event, type, post_index, CommentChange::upsert);
    } else if (type == k_comment_updated) {
        return change_comment(event, type, post_index, CommentChange::update);
    } else if (type == k_comment_removed) {
        return change_comment(event, type, post_index, CommentChange::deletion);
    } else if (type == k_message_updated) {
        const auto message = field(event, "message", Kind::text);
        if (!message) return invalid(event, type, "message", Kind::text);
        post.message = *message;
    } else if (type == k_post_created) {
        const auto author = field(event, "author", Kind::name);
        if (!author) return invalid(event, type, "author", Kind::name);
        const auto message = field(event, "message", Kind::text);
        if (!message) return invalid(event, type, "message", Kind::text);
        const auto date = field(event, "datePosted", Kind::timestamp);
        if (!date) return invalid(event, type, "datePosted", Kind::timestamp);
        post.state = State::live;
        post.author = *author;
        post.created_message = *message;
        post.date_posted = *date;
    } else if (type == k_post_removed) {
        // Its comments go with the post: the batch's changes to them are
        // dropped (by emit(), and change_comment() treats them as gone), the
        // stored ones are deleted by post id. A removed post never comes back.
        post.state = State::removed;
    } else {
        return {Verdict::Kind::ignored, {}};
    }
    return {Verdict::Kind::applied, {}};
}

Verdict Projection::change_comment(const Event& event, std::string_view type, std::uint32_t post,
                                   CommentChange change) {
    const std::string_view post_id = ids_[post];
    const auto comment_id = field(event, "commentId", Kind::id);
    if (!comment_id) return invalid(event, type, "commentId", Kind::id);
    CommentWork next;
    next.change = change;
    next.post = post;
    if (change == CommentChange::upsert) {
        const auto comment = field(event, "comment", Kind::text);
        if (!comment) return invalid(event, type, "comment", Kind::text);
        const auto username = field(event, "username", Kind::name);
        if (!username) return invalid(event, type, "username", Kind::name);
        const auto date = field(event, "commentDate", Kind::timestamp);
        if (!date) return invalid(event, type, "commentDate", Kind::timestamp);
        next.comment = *comment;
        next.username = *username;
        next.date = *date;
    } else if (change == CommentChange::update) {
        const auto comment = field(event, "comment", Kind::text);
        if (!comment) return invalid(event, type, "comment", Kind::text);
        // Not shown (an edit keeps the comment's author), but judged: the
        // same data is valid for every projection or for none.
        if (!field(event, "username", Kind::name)) return invalid(event, type, "username", Kind::name);
        const auto date = field(event, "editDate", Kind::timestamp);
        if (!date) return invalid(event, type, "editDate", Kind::timestamp);
        next.comment = *comment;
        next.date = *date;
        next.edited = true;
    }

    auto [it, inserted] = comments_.try_emplace(*comment_id, next);
    if (inserted) {
        comment_order_.push_back(*comment_id);
        return {Verdict::Kind::applied, {}};
    }
    CommentWork& current = it->second;
    if (posts_[current.post].state == State::removed) {
        current = next;  // its post was removed earlier in the batch, and the comment with it
        return {Verdict::Kind::applied, {}};
    }
    if (current.post != post) {
        return reject("comment " + str(*comment_id) + " belongs to post " + str(ids_[current.post]) + ", not " +
                      str(post_id));
    }
    if (change != CommentChange::update) {
        current = next;  // an add replaces whatever came before; a removal wins
    } else if (current.change == CommentChange::upsert) {
        current.comment = next.comment;
        current.date = next.date;
        current.edited = true;
    } else if (current.change == CommentChange::update) {
        current = next;
    }
    // An update after a removal finds no comment: nothing to change.
    return {Verdict::Kind::applied, {}};
}

void Projection::emit() {
    for (std::size_t i = 0; i < ids_.size(); ++i) {
        const std::string_view id = ids_[i];
        const PostWork& w = posts_[i];
        if (w.state == w.stored_state && w.version == w.stored_version) continue;
        if (w.stored_state == State::absent) {
            if (w.state == State::live) {
                changes_.new_posts.push_back(
                    {id, w.author, w.message.value_or(w.created_message), w.date_posted, w.likes, w.version});
            } else if (w.state == State::removed) {
                changes_.tombstones.push_back({id, w.version});
            }
        } else if (w.stored_state == State::live) {
            if (w.state == State::live) {
                changes_.post_updates.push_back({id, w.message, w.likes, w.version, w.stored_version});
            } else {
                changes_.post_deletions.push_back({id, w.stored_version});
                changes_.tombstones.push_back({id, w.version});
            }
        }
    }
    for (const std::string_view id : comment_order_) {
        const auto it = comments_.find(id);
        if (it == comments_.end()) continue;  // already emitted
        const CommentWork& c = it->second;
        const std::string_view post_id = ids_[c.post];
        if (posts_[c.post].state == State::removed) {
            comments_.erase(it);  // went with its post
            continue;
        }
        switch (c.change) {
            case CommentChange::upsert:
                changes_.comment_upserts.push_back({id, post_id, c.username, c.comment, c.date, c.edited});
                break;
            case CommentChange::update: changes_.comment_updates.push_back({id, post_id, c.comment, c.date}); break;
            case CommentChange::deletion: changes_.comment_deletions.push_back({id, post_id}); break;
        }
        comments_.erase(it);
    }
}

}  // namespace fanout::plugins::sql_read_model
