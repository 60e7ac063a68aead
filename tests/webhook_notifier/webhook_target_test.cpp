// The `url` and `headers` options: parsed once, bad values rejected with a clear message.
#include <gtest/gtest.h>

#include "webhook_target.hpp"

using namespace fanout::plugins::webhook;

TEST(WebhookUrl, HostPortAndPath) {
    const auto u = parse_webhook_url("http://127.0.0.1:8080/hooks/posts?x=1", true);
    EXPECT_EQ(u.scheme, "http");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.path, "/hooks/posts?x=1");
    EXPECT_EQ(u.origin(), "http://127.0.0.1:8080");
}

TEST(WebhookUrl, DefaultsForPortAndPath) {
    EXPECT_EQ(parse_webhook_url("http://example.com", true).port, 80);
    EXPECT_EQ(parse_webhook_url("http://example.com", true).path, "/");
    EXPECT_EQ(parse_webhook_url("https://example.com/a", true).port, 443);
    EXPECT_EQ(parse_webhook_url("http://[::1]:9000/a", true).host, "::1");
    EXPECT_EQ(parse_webhook_url("http://[::1]:9000/a", true).port, 9000);
}

TEST(WebhookUrl, HttpsIsRefusedWithAClearMessageWhenUnsupported) {
    try {
        parse_webhook_url("https://example.com/hook", false);
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("https is not available"), std::string::npos) << e.what();
    }
}

TEST(WebhookUrl, MalformedUrlsAreRejected) {
    for (const char* bad : {"127.0.0.1:8080/x", "ftp://host/x", "http://", "http://:80/x", "http://host:0/",
                            "http://host:99999/", "http://host:8o/", "http://user:pw@host/", "http://ho st/"}) {
        EXPECT_THROW(parse_webhook_url(bad, true), std::invalid_argument) << bad;
    }
}

TEST(WebhookHeaders, NameValueLinesAreTrimmed) {
    const auto h = parse_header_lines({"Authorization: Bearer abc", "X-Team:feed ", "X-Empty:"});
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"Authorization", "Bearer abc"}));
    EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"X-Team", "feed"}));
    EXPECT_EQ(h[2], (std::pair<std::string, std::string>{"X-Empty", ""}));
}

TEST(WebhookHeaders, MalformedLinesAreRejected) {
    EXPECT_THROW(parse_header_lines({"no colon"}), std::invalid_argument);
    EXPECT_THROW(parse_header_lines({": value"}), std::invalid_argument);
    EXPECT_THROW(parse_header_lines({"Bad Name: v"}), std::invalid_argument);
    EXPECT_THROW(parse_header_lines({"X-A: v\r\nX-Injected: 1"}), std::invalid_argument);
}
