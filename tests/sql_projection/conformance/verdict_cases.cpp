#include "verdict_cases.hpp"

namespace fanout::test {
namespace {

const std::string k_nov1 = "2026-11-01T10:00:00.000Z";
const std::string k_name_rule = "must be a name: 1 to 100 bytes of UTF-8 without NUL characters, not blank";
const std::string k_text_rule = "must be a text: 1 to 65536 bytes of UTF-8 without NUL characters, not blank";
const std::string k_timestamp_rule =
    "must be a UTC timestamp in RFC 3339 form, YYYY-MM-DDTHH:MM:SS[.fraction]Z (e.g. 2026-11-22T09:15:02.417Z) "
    "(found another form)";

std::string created(const std::string& author, const std::string& message, const std::string& date = k_nov1) {
    return created_data(author, message, date);
}

/// 100 bytes: the longest name valid event data allows.
std::string longest_name() {
    std::string name;
    for (int i = 0; i < 25; ++i) name += "\xf0\x9f\x98\x80";
    return name;
}

VerdictCase post_state() {
    PartitionEvents p;
    return {"the post's state",
            {{
                {p.next("PostLikedEvent", "ghost", 2), "reject: unknown post ghost: PostLikedEvent version 2"},
                {p.next("PostCreatedEvent", "p1", 1, created("alice", "Hello")), "done"},
                {p.next("CommentAddedEvent", "ghost", 3, comment_added_data("c1", "Boo", "bob", k_nov1)),
                 "reject: unknown post ghost: CommentAddedEvent version 3"},
                {p.next("PostLikedEvent", "p1", 3),
                 "reject: version gap: post p1 is at version 1, PostLikedEvent version 3"},
                {p.next("PostCreatedEvent", "p2", 2, created("bob", "Late")),
                 "reject: version gap: post p2 does not exist, PostCreatedEvent version 2"},
                {p.next("PostCreatedEvent", "p1", 2, created("alice", "Again")),
                 "reject: post p1 already exists: PostCreatedEvent version 2"},
                {p.next("PostLikedEvent", "p1", 2), "done"},
            }}};
}

VerdictCase removed_post() {
    PartitionEvents p;
    return {
        "a removed post",
        {
            {{p.next("PostCreatedEvent", "p1", 1, created("alice", "Hello")), "done"},
             {p.next("PostLikedEvent", "p1", 2), "done"}},
            {{p.next("PostRemovedEvent", "p1", 3), "done"}},
            // A replayed old event is a duplicate; a new one is rejected.
            {{p.next("PostLikedEvent", "p1", 2), "duplicate"},
             {p.next("PostLikedEvent", "p1", 4), "reject: post p1 was removed at version 3: PostLikedEvent version 4"}},
        }};
}

VerdictCase malformed() {
    PartitionEvents p;
    return {
        "malformed envelopes and missing data",
        {{
            {p.raw("not json at all"), "reject: malformed envelope: not a JSON event envelope"},
            {p.raw(R"({"type":"PostLikedEvent","aggregateId":"p1","version":1})"),
             "reject: malformed envelope: not a JSON event envelope"},
            {p.next("PostCreatedEvent", "p\\u0009id", 1, created("a", "m")),
             "reject: malformed envelope: missing or invalid aggregateId"},
            {p.next("PostCreatedEvent", "p1", 1, R"({"message":"no author","datePosted":"2026-11-01T00:00:00.000Z"})"),
             "reject: PostCreatedEvent: data.author is missing or not a string"},
            {p.next("PostCreatedEvent", "p3", 1, created("carol", "Fine")), "done"},
            {p.next("CommentAddedEvent", "p3", 2, R"({"commentId":"c1","comment":"x","username":"u"})"),
             "reject: CommentAddedEvent: data.commentDate is missing or not a string"},
            {p.next("CommentAddedEvent", "p3", 2, R"({"commentId":"c1","comment":"x","commentDate":"2026-11-01"})"),
             "reject: CommentAddedEvent: data.username is missing or not a string"},
            {p.next("PostLikedEvent", "p3", 2), "done"},
        }}};
}

VerdictCase shared_rules() {
    PartitionEvents p;
    const std::string rtl = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f e\xcc\x81\xcc\x81";
    const std::string author = "reject: PostCreatedEvent: data.author " + k_name_rule;
    const std::string message = "reject: PostCreatedEvent: data.message " + k_text_rule;
    return {"data outside the shared rules",
            {{
                {p.next("PostCreatedEvent", "p1", 1, created(std::string(101, 'a'), "m")),
                 author + " (found more than 100 bytes)"},
                {p.next("PostCreatedEvent", "p1", 1, created(longest_name() + "a", "m")),
                 author + " (found more than 100 bytes)"},
                {p.next("PostCreatedEvent", "p1", 1, created(std::string("a\0b", 3), "m")),
                 author + " (found a NUL character at byte 1)"},
                {p.next("PostCreatedEvent", "p2", 1, created("   ", "m")), author + " (found only whitespace)"},
                {p.next("PostCreatedEvent", "p3", 1,
                        R"({"author":"a","message":"lone \udc00","datePosted":"2026-11-01T10:00:00Z"})"),
                 message + " (found an unpaired UTF-16 surrogate at byte 5..."},
                {p.next("PostCreatedEvent", "p3", 1, created("a", std::string("nul \0 inside", 12))),
                 message + " (found a NUL character at byte 4)"},
                {p.next("PostCreatedEvent", "p3", 1, created("a", "bad \xff utf-8")),
                 message + " (found invalid UTF-8 at byte 4)"},
                {p.next("PostCreatedEvent", "p4", 1, created("a", "m", "2026-11-01")),
                 "reject: PostCreatedEvent: data.datePosted must be a UTC timestamp in RFC 3339 form..."},
                {p.next("PostCreatedEvent", "p4", 1, created("a", "m", "2026-11-01T10:00:00.000+01:00")),
                 "reject: PostCreatedEvent: data.datePosted must be a UTC timestamp in RFC 3339 form..."},
                {p.next("PostCreatedEvent", "p4", 1, created("a", "m", "yesterday")),
                 "reject: PostCreatedEvent: data.datePosted " + k_timestamp_rule},
                // What the rules allow is applied, whatever the script or the length.
                {p.next("PostCreatedEvent", "p5", 1,
                        created(longest_name(), std::string(65536, 'm'), "2026-11-01T10:00:00Z")),
                 "done"},
                {p.next("CommentAddedEvent", "p5", 2, comment_added_data("", "c", "u", k_nov1)),
                 "reject: CommentAddedEvent: data.commentId must be an id: 1 to 128 bytes of UTF-8 without control "
                 "characters (found an empty string)"},
                {p.next("CommentAddedEvent", "p5", 2, comment_added_data("c1", "c", std::string("u\0v", 3), k_nov1)),
                 "reject: CommentAddedEvent: data.username must be a name..."},
                {p.next("CommentAddedEvent", "p5", 2, comment_added_data("c1", "\xed\xa0\x80", rtl, k_nov1)),
                 "reject: CommentAddedEvent: data.comment " + k_text_rule +
                     " (found an unpaired UTF-16 surrogate at byte 0..."},
                {p.next("CommentAddedEvent", "p5", 2, comment_added_data("c1", rtl, rtl, "2026-11-02T23:59:59.999Z")),
                 "done"},
                {p.next("MessageUpdatedEvent", "p5", 3, message_data(std::string(65537, 'x'))),
                 "reject: MessageUpdatedEvent: data.message must be a text..."},
            }}};
}

}  // namespace

std::vector<VerdictCase> verdict_cases() { return {post_state(), removed_post(), malformed(), shared_rules()}; }

bool matches(const std::string& actual, const std::string& expected) {
    if (expected == "duplicate") return actual == "done";
    if (expected.size() > 3 && expected.ends_with("..."))
        return actual.starts_with(expected.substr(0, expected.size() - 3));
    return actual == expected;
}

}  // namespace fanout::test
