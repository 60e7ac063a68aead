#include "projection.hpp"

#include <algorithm>

#include "fanout/common/event_data.hpp"

namespace fanout::plugins::analytics {
namespace {

namespace types = event_data::types;

Verdict reject(std::string reason) { return {Verdict::Kind::rejected, std::move(reason), false}; }

std::string str(std::string_view s) { return std::string(s); }

using event_data::Kind;

/// A data field of an admitted event (the contract's rule held for all of them).
std::string_view text(const Event& event, std::string_view name) { return event.data().string(name).value_or(""); }

bool digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::vector<std::string_view>& Projection::prepare(std::span<const Event* const> events) {
    return batch_.read(events);
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
    const auto& ids = batch_.ids();
    batch_.start();
    posts_.assign(ids.size(), PostWork{});
    for (std::size_t i = 0; i < ids.size() && i < stored.size(); ++i) {
        if (!stored[i]) continue;
        batch_.stored(i, stored[i]->removed, stored[i]->version);
        posts_[i].author = stored[i]->author;
    }
    authors_.clear();
    days_.clear();
    changes_.clear();
    const auto heads = batch_.heads();
    verdicts.resize(heads.size());
    for (std::size_t i = 0; i < heads.size(); ++i) verdicts[i] = apply(heads[i]);
    emit();
    return changes_;
}

Verdict Projection::apply(const Head& head) {
    const sql::AggregateBatch::Admission admission = batch_.admit(head, types::post_created);
    if (admission.kind == admission.duplicate) return {Verdict::Kind::duplicate, {}, false};
    if (admission.kind == admission.reject) return {Verdict::Kind::rejected, admission.reason, admission.unknown};
    Verdict verdict = apply_type(*head.event, head.type, batch_.aggregate(head.aggregate), posts_[head.aggregate]);
    if (verdict.kind != Verdict::Kind::rejected) batch_.advance(head);
    return verdict;
}

Verdict Projection::apply_type(const Event& event, std::string_view type, sql::AggregateBatch::Aggregate& state,
                               PostWork& post) {
    // The data was checked by admit(); every other field is checked before
    // anything is counted: a rejected event leaves no trace.
    if (type == types::post_liked) {
        const std::string_view occurred_at = event.occurred_at();
        const event_data::Check check = event_data::check(Kind::timestamp, occurred_at);
        if (!check) return reject(str(type) + ": " + event_data::explain("occurredAt", Kind::timestamp, check));
        ++post.likes;
        author(post.author).likes_received += 1;
        day(utc_day(occurred_at)).likes += 1;
    } else if (type == types::comment_added) {
        author(text(event, "username")).comments += 1;
        day(utc_day(text(event, "commentDate"))).comments += 1;
    } else if (type == types::post_created) {
        const std::string_view name = text(event, "author");
        const std::string_view when = utc_day(text(event, "datePosted"));
        state.state = State::live;
        post.author = name;
        post.day_posted = when;
        author(name).posts += 1;
        day(when).posts += 1;
    } else if (type == types::post_removed) {
        state.state = State::removed;
    } else if (type != types::comment_updated && type != types::comment_removed && type != types::message_updated) {
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
    const auto& ids = batch_.ids();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const sql::AggregateBatch::Aggregate& a = batch_.aggregate(i);
        const PostWork& w = posts_[i];
        if (!a.changed()) continue;
        if (a.stored_state == State::absent) {
            changes_.new_posts.push_back({ids[i], w.author, w.day_posted, w.likes, a.version, a.state == State::removed});
        } else if (a.stored_state == State::live) {
            changes_.post_updates.push_back({ids[i], w.likes, a.version, a.stored_version, a.state == State::removed});
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
