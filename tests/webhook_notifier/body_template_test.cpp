// The body template: placeholders, escaping, and errors caught at config time.
#include <gtest/gtest.h>

#include "body_template.hpp"
#include "fake_event.hpp"

using namespace fanout::plugins::webhook;
using fanout::plugins::webhook::test::example_event;
using fanout::plugins::webhook::test::FakeEvent;

TEST(WebhookBodyTemplate, DefaultTemplateRendersTheEnvelopeAndRawData) {
    auto spec = example_event();
    spec.data = R"({"author":"maria","message":"hi"})";
    const FakeEvent e(spec);
    EXPECT_EQ(BodyTemplate(k_default_body_template).render(e),
              R"({"event":"PostCreatedEvent","postId":"b8a1f3a2-6c0e-4d5e-9f1a-2b3c4d5e6f70",)"
              R"("eventId":"0d6f7c1e-3b0a-4d2f-8a53-5f1e2c9b7a01","version":1,)"
              R"("occurredAt":"2026-11-22T09:15:02.417Z","data":{"author":"maria","message":"hi"}})");
}

TEST(WebhookBodyTemplate, DataFieldsAreJsonEscapedInsideQuotes) {
    auto spec = example_event();
    spec.type = "CommentAddedEvent";
    spec.data = R"({"comment":"say \"hi\"\\ then\nbye\t\u0001 \u00e9","username":"reader7"})";
    const FakeEvent e(spec);
    const BodyTemplate t(R"({"text":"{{data.comment}}","by":"{{ data.username }}"})");
    EXPECT_EQ(t.render(e), "{\"text\":\"say \\\"hi\\\"\\\\ then\\nbye\\t\\u0001 \xc3\xa9\",\"by\":\"reader7\"}");
}

TEST(WebhookBodyTemplate, NumbersBooleansAndMissingFields) {
    auto spec = example_event();
    spec.version = 7;
    spec.global_sequence = 99;
    spec.data = R"({"likes":12,"pinned":true,"score":0.5})";
    const FakeEvent e(spec);
    const BodyTemplate t(
        "v={{version}} g={{global_sequence}} p={{partition}} o={{offset}} l={{data.likes}} b={{data.pinned}} "
        "s={{data.score}} m=[{{data.missing}}] t={{topic}} k={{key}}");
    EXPECT_EQ(t.render(e),
              "v=7 g=99 p=2 o=41 l=12 b=true s=0.5 m=[] t=post-events k=b8a1f3a2-6c0e-4d5e-9f1a-2b3c4d5e6f70");
}

TEST(WebhookBodyTemplate, EnvelopeStringsAreEscapedToo) {
    auto spec = example_event();
    spec.aggregate_id = "a\"b";
    const FakeEvent e(spec);
    EXPECT_EQ(BodyTemplate("{{aggregate_id}}").render(e), "a\\\"b");
}

TEST(WebhookBodyTemplate, TextWithoutPlaceholdersAndSingleBracesIsKept) {
    const FakeEvent e(example_event());
    EXPECT_EQ(BodyTemplate(R"({"static":true})").render(e), R"({"static":true})");
    EXPECT_EQ(BodyTemplate("").render(e), "");
}

TEST(WebhookBodyTemplate, UnknownPlaceholderIsAConfigError) {
    try {
        BodyTemplate t("{\"x\":\"{{typo}}\"}");
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("unknown placeholder '{{typo}}'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(BodyTemplate("{{data.}}"), std::invalid_argument);
}

TEST(WebhookBodyTemplate, UnclosedPlaceholderIsAConfigError) {
    EXPECT_THROW(BodyTemplate("{\"x\":\"{{type\"}"), std::invalid_argument);
}

TEST(WebhookBodyTemplate, EscapeHelperHandlesEveryControlCharacter) {
    std::string out;
    append_json_escaped(out, std::string("\b\f\r\x1f\x7f", 5));
    EXPECT_EQ(out, "\\b\\f\\r\\u001f\x7f");
}
