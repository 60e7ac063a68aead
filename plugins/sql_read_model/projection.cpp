#include "projection.hpp"

#include "fanout/common/event_data.hpp"

namespace fanout::plugins::sql_read_model {
namespace {

namespace types = event_data::types;

Verdict reject(std::string reason) { return {Verdict::Kind::rejected, std::move(reason)}; }

std::string str(std::string_view s) { return std::string(s); }

/// A data field of an admitted event (the contract's rule held for all of them).
std::string_view text(const Event& event, std::string_view name) { return event.data().string(name).value_or(""); }

}  // namespace

const std::vector<std::string_view>& Projection::prepare(std::span<const Event* const> events) {
    return batch_.read(events);
}

const ChangeSet& Projection::project(const StoredPosts& stored, std::vector<Verdict>& verdicts) {
    const auto& ids = batch_.ids();
    batch_.start();
    posts_.assign(ids.size(), PostWork{});
    for (std::size_t i = 0; i < ids.size() && i < stored.size(); ++i) {
        if (stored[i]) batch_.stored(i, stored[i]->removed, stored[i]->version);
    }
    comments_.clear();
    comment_order_.clear();
    changes_.clear();
    const auto heads = batch_.heads();
    verdicts.resize(heads.size());
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const Head& head = heads[i];
        const sql::AggregateBatch::Admission admission = batch_.admit(head, types::post_created);
        if (admission.kind == admission.duplicate) {
            verdicts[i] = {Verdict::Kind::duplicate, {}};
        } else if (admission.kind == admission.reject) {
            verdicts[i] = reject(admission.reason);
        } else {
            verdicts[i] = apply_type(*head.event, head.type, head.aggregate);
            if (verdicts[i].kind != Verdict::Kind::rejected) batch_.advance(head);
        }
    }
    emit();
    return changes_;
}

Verdict Projection::apply_type(const Event& event, std::string_view type, std::uint32_t post_index) {
    PostWork& post = posts_[post_index];
    if (type == types::post_liked) {
        ++post.likes;
    } else if (type == types::comment_added) {
        return change_comment(event, post_index, CommentChange::upsert);
    } else if (type == types::comment_updated) {
        return change_comment(event, post_index, CommentChange::update);
    } else if (type == types::comment_removed) {
        return change_comment(event, post_index, CommentChange::deletion);
    } else if (type == types::message_updated) {
        post.message = text(event, "message");
    } else if (type == types::post_created) {
        batch_.aggregate(post_index).state = State::live;
        post.author = text(event, "author");
        post.created_message = text(event, "message");
        post.date_posted = text(event, "datePosted");
    } else if (type == types::post_removed) {
        // Its comments go with the post: the batch's changes to them are
        // dropped (by emit(), and change_comment() treats them as gone), the
        // stored ones are deleted by post id. A removed post never comes back.
        batch_.aggregate(post_index).state = State::removed;
    } else {
        return {Verdict::Kind::ignored, {}};
    }
    return {Verdict::Kind::applied, {}};
}

Verdict Projection::change_comment(const Event& event, std::uint32_t post, CommentChange change) {
    const std::string_view post_id = batch_.ids()[post];
    const std::string_view comment_id = text(event, "commentId");
    CommentWork next;
    next.change = change;
    next.post = post;
    if (change == CommentChange::upsert) {
        next.comment = text(event, "comment");
        next.username = text(event, "username");
        next.date = text(event, "commentDate");
    } else if (change == CommentChange::update) {
        // The username is not shown (an edit keeps the comment's author), but
        // was judged by the contract: the same data is valid for every
        // projection or for none.
        next.comment = text(event, "comment");
        next.date = text(event, "editDate");
        next.edited = true;
    }

    auto [it, inserted] = comments_.try_emplace(comment_id, next);
    if (inserted) {
        comment_order_.push_back(comment_id);
        return {Verdict::Kind::applied, {}};
    }
    CommentWork& current = it->second;
    if (batch_.aggregate(current.post).state == State::removed) {
        current = next;  // its post was removed earlier in the batch, and the comment with it
        return {Verdict::Kind::applied, {}};
    }
    if (current.post != post) {
        return reject("comment " + str(comment_id) + " belongs to post " + str(batch_.ids()[current.post]) + ", not " +
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
    const auto& ids = batch_.ids();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string_view id = ids[i];
        const sql::AggregateBatch::Aggregate& a = batch_.aggregate(i);
        const PostWork& w = posts_[i];
        if (!a.changed()) continue;
        if (a.stored_state == State::absent) {
            if (a.state == State::live) {
                changes_.new_posts.push_back(
                    {id, w.author, w.message.value_or(w.created_message), w.date_posted, w.likes, a.version});
            } else if (a.state == State::removed) {
                changes_.tombstones.push_back({id, a.version});
            }
        } else if (a.stored_state == State::live) {
            if (a.state == State::live) {
                changes_.post_updates.push_back({id, w.message, w.likes, a.version, a.stored_version});
            } else {
                changes_.post_deletions.push_back({id, a.stored_version});
                changes_.tombstones.push_back({id, a.version});
            }
        }
    }
    for (const std::string_view id : comment_order_) {
        const auto it = comments_.find(id);
        if (it == comments_.end()) continue;  // already emitted
        const CommentWork& c = it->second;
        const std::string_view post_id = ids[c.post];
        if (batch_.aggregate(c.post).state == State::removed) {
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
