// PostAggregate's rules, one command at a time.
#include <gtest/gtest.h>

#include "post_aggregate.hpp"

using namespace fanout::post_command;

namespace {

constexpr const char* k_now = "2026-11-22T10:00:00.123Z";
constexpr const char* k_comment = "0e1795a8-20ed-4e12-a26e-14f94ebd2f87";

PostAggregate created(const std::string& author = "Alice", const std::string& message = "hello") {
    PostAggregate post("b52fa405-da02-4558-9994-f21fb6adaeeb");
    post.apply(PostCreated{author, message, k_now});
    return post;
}

PostAggregate with_comment(const std::string& username = "Bob") {
    PostAggregate post = created();
    post.apply(CommentAdded{k_comment, "nice", username, k_now});
    return post;
}

PostAggregate removed() {
    PostAggregate post = with_comment();
    post.apply(PostRemoved{});
    return post;
}

void expect_rejected(const Decision& d, CommandError::Kind kind, const std::string& message) {
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.error->kind, kind);
    EXPECT_EQ(d.error->message, message);
    EXPECT_TRUE(d.events.empty());
}

template <class E>
E only_event(const Decision& d) {  // by value: callers pass temporaries
    EXPECT_FALSE(d.error.has_value()) << d.error->message;
    EXPECT_EQ(d.events.size(), 1u);
    if (d.events.empty() || !std::holds_alternative<E>(d.events[0])) {
        ADD_FAILURE() << "not the expected event";
        return E{};
    }
    return std::get<E>(d.events[0]);
}

using Kind = CommandError::Kind;

}  // namespace

TEST(PostAggregateCreate, ProducesPostCreatedWithAuthorMessageAndDate) {
    const auto e = only_event<PostCreated>(PostAggregate("id").create("alice", "hi", k_now));
    EXPECT_EQ(e.author, "alice");
    EXPECT_EQ(e.message, "hi");
    EXPECT_EQ(e.date_posted, k_now);
}

TEST(PostAggregateCreate, RefusesBlankAuthorOrMessage) {
    expect_rejected(PostAggregate("id").create("", "hi", k_now), Kind::bad_request, messages::empty_value("author"));
    expect_rejected(PostAggregate("id").create("alice", " \t\n", k_now), Kind::bad_request,
                    messages::empty_value("message"));
}

TEST(PostAggregateCreate, RefusesAnExistingPost) {
    EXPECT_TRUE(created().create("alice", "again", k_now).error.has_value());
}

TEST(PostAggregateApply, CreationMakesAnActivePostAtVersionOne) {
    const PostAggregate post = created();
    EXPECT_TRUE(post.exists());
    EXPECT_TRUE(post.active());
    EXPECT_EQ(post.version(), 1);
    EXPECT_EQ(post.author(), "Alice");
}

TEST(PostAggregateEditMessage, TheAuthorEditsIgnoringCase) {
    EXPECT_EQ(only_event<MessageUpdated>(created().edit_message("new text", "ALICE")).message, "new text");
}

TEST(PostAggregateEditMessage, OnlyTheAuthorEdits) {
    expect_rejected(created().edit_message("new", "mallory"), Kind::bad_request, messages::edit_not_author);
}

TEST(PostAggregateEditMessage, RefusesABlankMessage) {
    expect_rejected(created().edit_message("  ", "Alice"), Kind::bad_request, messages::empty_value("message"));
}

TEST(PostAggregateEditMessage, RefusesAnInactivePost) {
    expect_rejected(removed().edit_message("new", "Alice"), Kind::bad_request, messages::edit_inactive);
}

TEST(PostAggregateEditMessage, UnknownPostIsNotFound) {
    expect_rejected(PostAggregate("id").edit_message("new", "Alice"), Kind::not_found, messages::post_not_found);
}

TEST(PostAggregateLike, ActivePostGetsALike) {
    only_event<PostLiked>(created().like());
    PostAggregate post = created();
    post.apply(PostLiked{});
    post.apply(PostLiked{});
    EXPECT_EQ(post.likes(), 2);
    EXPECT_EQ(post.version(), 3);
}

TEST(PostAggregateLike, RefusesAnInactivePost) {
    expect_rejected(removed().like(), Kind::bad_request, messages::like_inactive);
}

TEST(PostAggregateLike, UnknownPostIsNotFound) {
    expect_rejected(PostAggregate("id").like(), Kind::not_found, messages::post_not_found);
}

TEST(PostAggregateAddComment, AddsWithTheGivenIdAuthorAndDate) {
    const auto e = only_event<CommentAdded>(created().add_comment("nice", "Bob", k_comment, k_now));
    EXPECT_EQ(e.comment_id, k_comment);
    EXPECT_EQ(e.comment, "nice");
    EXPECT_EQ(e.username, "Bob");
    EXPECT_EQ(e.comment_date, k_now);
}

TEST(PostAggregateAddComment, RefusesBlankCommentOrUsername) {
    expect_rejected(created().add_comment("", "Bob", k_comment, k_now), Kind::bad_request,
                    messages::empty_value("comment"));
    expect_rejected(created().add_comment("hi", " ", k_comment, k_now), Kind::bad_request,
                    messages::empty_value("username"));
}

TEST(PostAggregateAddComment, RefusesAnInactivePost) {
    expect_rejected(removed().add_comment("hi", "Bob", k_comment, k_now), Kind::bad_request,
                    messages::comment_inactive);
}

TEST(PostAggregateEditComment, TheCommentsAuthorEditsIgnoringCaseAndKeepsTheName) {
    const auto e = only_event<CommentUpdated>(with_comment("Bob").edit_comment(k_comment, "better", "bOB", k_now));
    EXPECT_EQ(e.comment, "better");
    EXPECT_EQ(e.username, "Bob");
    EXPECT_EQ(e.edit_date, k_now);
}

TEST(PostAggregateEditComment, AnotherUserIsRefused) {
    expect_rejected(with_comment("Bob").edit_comment(k_comment, "mine now", "Alice", k_now), Kind::bad_request,
                    messages::edit_comment_not_author);
}

TEST(PostAggregateEditComment, CaseFoldingIsAsciiOnly) {
    // Culture-independent: no Turkish dotless-i style folding, no Unicode folding.
    EXPECT_TRUE(equals_ignore_case("Istanbul", "iSTANBUL"));
    EXPECT_FALSE(equals_ignore_case("\xc3\x89mile", "\xc3\xa9mile"));  // É vs é: different bytes, not folded
    expect_rejected(with_comment("\xc3\x89mile").edit_comment(k_comment, "x", "\xc3\xa9mile", k_now), Kind::bad_request,
                    messages::edit_comment_not_author);
}

TEST(PostAggregateEditComment, RefusesABlankComment) {
    expect_rejected(with_comment().edit_comment(k_comment, "", "Bob", k_now), Kind::bad_request,
                    messages::empty_value("comment"));
}

TEST(PostAggregateEditComment, UnknownCommentIsNotFound) {
    expect_rejected(with_comment().edit_comment("11111111-1111-4111-8111-111111111111", "x", "Bob", k_now),
                    Kind::not_found, messages::comment_not_found);
}

TEST(PostAggregateEditComment, RefusesAnInactivePost) {
    expect_rejected(removed().edit_comment(k_comment, "x", "Bob", k_now), Kind::bad_request,
                    messages::edit_comment_inactive);
}

TEST(PostAggregateRemoveComment, TheCommentsAuthorRemovesIt) {
    EXPECT_EQ(only_event<CommentRemoved>(with_comment().remove_comment(k_comment, "bob")).comment_id, k_comment);
    PostAggregate post = with_comment();
    post.apply(CommentRemoved{k_comment});
    EXPECT_TRUE(post.comments().empty());
    expect_rejected(post.remove_comment(k_comment, "Bob"), Kind::not_found, messages::comment_not_found);
}

TEST(PostAggregateRemoveComment, AnotherUserIsRefused) {
    expect_rejected(with_comment().remove_comment(k_comment, "Alice"), Kind::bad_request,
                    messages::remove_comment_not_author);
}

TEST(PostAggregateRemoveComment, RefusesAnInactivePost) {
    expect_rejected(removed().remove_comment(k_comment, "Bob"), Kind::bad_request, messages::remove_comment_inactive);
}

TEST(PostAggregateRemove, OnlyThePostsAuthorDeletesIt) {
    only_event<PostRemoved>(created().remove("alice"));
    expect_rejected(created().remove("Bob"), Kind::bad_request, messages::delete_not_author);
}

TEST(PostAggregateRemove, ARemovedPostCannotBeRemovedAgain) {
    expect_rejected(removed().remove("Alice"), Kind::bad_request, messages::already_removed);
}

TEST(PostAggregateRemove, UnknownPostIsNotFound) {
    expect_rejected(PostAggregate("id").remove("Alice"), Kind::not_found, messages::post_not_found);
}
