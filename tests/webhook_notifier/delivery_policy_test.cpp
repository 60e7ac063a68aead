// How HTTP answers are classified: delivered, retry later, or dead-letter.
#include <gtest/gtest.h>

#include "delivery_policy.hpp"

using namespace fanout::plugins::webhook;

TEST(WebhookDeliveryPolicy, TwoHundredsAreDelivered) {
    for (int s : {200, 201, 202, 204, 299}) EXPECT_EQ(classify_status(s), Verdict::delivered) << s;
}

TEST(WebhookDeliveryPolicy, ServerErrorsTimeoutsAndThrottlingAreTransient) {
    for (int s : {500, 502, 503, 504, 599, 408, 425, 429}) EXPECT_EQ(classify_status(s), Verdict::transient) << s;
    EXPECT_EQ(k_transport_failure_verdict, Verdict::transient);
}

TEST(WebhookDeliveryPolicy, OtherClientErrorsAndRedirectsArePermanent) {
    for (int s : {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 301, 302, 307, 100, 600}) {
        EXPECT_EQ(classify_status(s), Verdict::permanent) << s;
    }
}

TEST(WebhookDeliveryPolicy, BodyExcerptIsShortAndSingleLine) {
    EXPECT_EQ(body_excerpt("{\"error\":\n\"bad\"}"), "{\"error\": \"bad\"}");
    EXPECT_EQ(body_excerpt(std::string(500, 'x'), 10), "xxxxxxxxxx...");
    EXPECT_EQ(body_excerpt(""), "");
}
