#include "projection.hpp"

#include <cstring>

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

/// A required text field of the event's data; nullopt when missing or not storable.
std::optional<std::string_view> text_field(const Event& event, std::string_view name) {
    auto value = event.data().string(name);
    if (value && !storable_text(*value)) return std::nullopt;
    return value;
}

Verdict missing(std::string_view type, std::string_view field) {
    return reject(str(type) + ": missing or invalid data." + str(field));
}

}  // namespace

bool storable_text(std::string_view text) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    // Most text is ASCII: eight bytes at a time while no byte is 0 or >= 0x80.
    constexpr std::uint64_t k_ones = 0x0101010101010101ULL, k_highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if (((word | ((word - k_ones) & ~word)) & k_highs) != 0) break;
        p += 8;
    }
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            if (c == 0) return false;
            ++p;
            continue;
        }
        int extra;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= extra) return false;
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        constexpr std::uint32_t k_min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < k_min[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        p += extra + 1;
    }
    return true;
}

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
        if (post_id.empty() || !storable_text(post_id)) {
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
        const auto message = text_field(event, "message");
        if (!message) return missing(type, "message");
        post.message = *message;
    } else if (type == k_post_created) {
        const auto author = text_field(event, "author");
        if (!author) return missing(type, "author");
        const auto message = text_field(event, "message");
        if (!message) return missing(type, "message");
        const auto date = text_field(event, "datePosted");
        if (!date) return missing(type, "datePosted");
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
    const auto comment_id = text_field(event, "commentId");
    if (!comment_id || comment_id->empty()) return missing(type, "commentId");
    CommentWork next;
    next.change = change;
    next.post = post;
    if (change == CommentChange::upsert) {
        const auto comment = text_field(event, "comment");
        if (!comment) return missing(type, "comment");
        const auto username = text_field(event, "username");
        if (!username) return missing(type, "username");
        const auto date = text_field(event, "commentDate");
        if (!date) return missing(type, "commentDate");
        next.comment = *comment;
        next.username = *username;
        next.date = *date;
    } else if (change == CommentChange::update) {
        const auto comment = text_field(event, "comment");
        if (!comment) return missing(type, "comment");
        const auto date = text_field(event, "editDate");
        if (!date) return missing(type, "editDate");
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
