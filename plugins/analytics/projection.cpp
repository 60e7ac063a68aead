#include "projection.hpp"

#include <algorithm>
#include <cstring>

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

/// A required text field of the event's data; nullopt when missing or not storable.
std::optional<std::string_view> text_field(const Event& event, std::string_view name) {
    auto value = event.data().string(name);
    if (value && !storable_text(*value)) return std::nullopt;
    return value;
}

/// The UTC day of a required date field; nullopt when missing or not a date.
std::optional<std::string_view> day_field(const Event& event, std::string_view name) {
    const auto value = event.data().string(name);
    if (!value) return std::nullopt;
    const std::string_view day = utc_day(*value);
    if (day.empty()) return std::nullopt;
    return day;
}

Verdict missing(std::string_view type, std::string_view field) {
    return reject(str(type) + ": missing or invalid data." + str(field));
}

bool digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
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
        const std::string_view when = utc_day(event.occurred_at());
        if (when.empty()) return reject(str(type) + ": missing or invalid occurredAt");
        ++post.likes;
        author(post.author).likes_received += 1;
        day(when).likes += 1;
    } else if (type == k_comment_added) {
        const auto comment_id = text_field(event, "commentId");
        if (!comment_id || comment_id->empty()) return missing(type, "commentId");
        if (!text_field(event, "comment")) return missing(type, "comment");
        const auto username = text_field(event, "username");
        if (!username) return missing(type, "username");
        const auto when = day_field(event, "commentDate");
        if (!when) return missing(type, "commentDate");
        author(*username).comments += 1;
        day(*when).comments += 1;
    } else if (type == k_comment_updated) {
        const auto comment_id = text_field(event, "commentId");
        if (!comment_id || comment_id->empty()) return missing(type, "commentId");
        if (!text_field(event, "comment")) return missing(type, "comment");
        if (!text_field(event, "editDate")) return missing(type, "editDate");
    } else if (type == k_comment_removed) {
        const auto comment_id = text_field(event, "commentId");
        if (!comment_id || comment_id->empty()) return missing(type, "commentId");
    } else if (type == k_message_updated) {
        if (!text_field(event, "message")) return missing(type, "message");
    } else if (type == k_post_created) {
        const auto name = text_field(event, "author");
        if (!name) return missing(type, "author");
        if (!text_field(event, "message")) return missing(type, "message");
        const auto when = day_field(event, "datePosted");
        if (!when) return missing(type, "datePosted");
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
