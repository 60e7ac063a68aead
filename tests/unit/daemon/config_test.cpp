// Every configuration error fanoutd promises to report, with its location.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_error.hpp"
#include "process.hpp"

using fanout::daemon::ConfigError;
using fanout::daemon::parse_config;

namespace {

const std::string k_valid = R"(kafka:
  brokers: 127.0.0.1:9092
  properties:
    fetch.wait.max.ms: "50"
group_prefix: test
dead_letter_topic: dlq
drain_timeout_ms: 5000
plugins:
  - name: audit
    type: library
    path: libs/libaudit.so
    topics: [posts, other]
    event_types: [PostCreatedEvent]
    batch: { max_events: 100, linger_ms: 5, parse_ahead: false }
    retry: { max_attempts: 3, initial_backoff_ms: 10, max_backoff_ms: 1000, multiplier: 3 }
    on_permanent_error: stop
    start_from: latest
    options:
      path: /tmp/x
)";

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "/etc/fanout/fanoutd.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return text.replace(pos, from.size(), to);
}

}  // namespace

TEST(Config, ParsesEveryField) {
    const auto s = parse_config(k_valid, "/etc/fanout/fanoutd.yaml");
    EXPECT_EQ(s.kafka.brokers, "127.0.0.1:9092");
    ASSERT_EQ(s.kafka.properties.size(), 1u);
    EXPECT_EQ(s.kafka.properties[0].first, "fetch.wait.max.ms");
    EXPECT_EQ(s.group_prefix, "test");
    EXPECT_EQ(s.dead_letter_topic, "dlq");
    EXPECT_EQ(s.drain_timeout.count(), 5000);
    ASSERT_EQ(s.plugins.size(), 1u);
    const auto& p = s.plugins[0];
    EXPECT_EQ(p.name, "audit");
    EXPECT_EQ(p.path, "/etc/fanout/libs/libaudit.so");  // relative to the config file
    EXPECT_EQ(p.topics, (std::vector<std::string>{"posts", "other"}));
    EXPECT_TRUE(p.wants_type("PostCreatedEvent"));
    EXPECT_FALSE(p.wants_type("PostLikedEvent"));
    EXPECT_EQ(p.batch_max_events, 100u);
    EXPECT_EQ(p.batch_linger.count(), 5);
    EXPECT_FALSE(p.batch_parse_ahead);
    EXPECT_EQ(p.retry.max_attempts, 3);
    EXPECT_EQ(p.on_permanent_error, fanout::daemon::OnPermanentError::stop);
    EXPECT_EQ(p.start_from, fanout::daemon::StartFrom::latest);
    EXPECT_EQ(s.group_id(p), "test.audit");
    EXPECT_EQ(p.options["path"].as<std::string>(), "/tmp/x");
}

TEST(Config, DefaultsApplyWhenOmitted) {
    const auto s = parse_config("kafka: {brokers: b:1}\nplugins:\n  - {name: a, type: library, path: /x.so, topics: t}\n",
                                "f.yaml");
    EXPECT_EQ(s.group_prefix, "fanout");
    EXPECT_EQ(s.dead_letter_topic, "fanout.dead-letter");
    const auto& p = s.plugins[0];
    EXPECT_EQ(p.topics, std::vector<std::string>{"t"});
    EXPECT_TRUE(p.wants_type("anything"));
    EXPECT_EQ(p.batch_max_events, 500u);
    EXPECT_TRUE(p.batch_parse_ahead);
    EXPECT_EQ(p.retry.max_attempts, 5);
    EXPECT_EQ(p.on_permanent_error, fanout::daemon::OnPermanentError::dead_letter);
    EXPECT_EQ(p.start_from, fanout::daemon::StartFrom::earliest);
}

TEST(Config, BackoffGrowsExponentiallyUpToTheCap) {
    fanout::daemon::RetryPolicy r;
    r.initial_backoff = std::chrono::milliseconds(100);
    r.max_backoff = std::chrono::milliseconds(1000);
    r.multiplier = 2;
    EXPECT_EQ(r.backoff_after(1).count(), 100);
    EXPECT_EQ(r.backoff_after(2).count(), 200);
    EXPECT_EQ(r.backoff_after(4).count(), 800);
    EXPECT_EQ(r.backoff_after(5).count(), 1000);
    EXPECT_EQ(r.backoff_after(500).count(), 1000);
}

TEST(Config, YamlSyntaxErrorHasLineAndColumn) {
    EXPECT_EQ(error_of("kafka: {brokers: [\n"),
              "/etc/fanout/fanoutd.yaml:2:1: YAML syntax error: end of sequence flow not found");
}

TEST(Config, EmptyFileIsAnError) {
    EXPECT_NE(error_of("").find("the file is empty"), std::string::npos);
}

TEST(Config, UnknownTopLevelKeyIsAnErrorAtTheKey) {
    const std::string e = error_of("colour: blue\n" + k_valid);
    EXPECT_EQ(e.rfind("/etc/fanout/fanoutd.yaml:1:1: config: unknown field 'colour'", 0), 0u) << e;
}

TEST(Config, UnknownPluginKeyIsAnError) {
    const std::string e = error_of(replace(k_valid, "    start_from: latest\n", "    start_form: latest\n"));
    EXPECT_EQ(e.rfind("/etc/fanout/fanoutd.yaml:17:5: plugin 'audit': unknown field 'start_form'", 0), 0u) << e;
}

TEST(Config, UnknownNestedKeyIsAnError) {
    const std::string e = error_of(replace(k_valid, "max_events: 100", "max_event: 100"));
    EXPECT_NE(e.find(":14:14: plugin 'audit' batch: unknown field 'max_event'"), std::string::npos) << e;
}

TEST(Config, WrongTypeNamesFieldAndValue) {
    const std::string e = error_of(replace(k_valid, "max_attempts: 3", "max_attempts: three"));
    EXPECT_NE(e.find(":15:28: plugin 'audit' retry field 'max_attempts': expected an integer, got 'three'"),
              std::string::npos)
        << e;
}

TEST(Config, ParseAheadMustBeABoolean) {
    const std::string e = error_of(replace(k_valid, "parse_ahead: false", "parse_ahead: sometimes"));
    EXPECT_EQ(e, "/etc/fanout/fanoutd.yaml:14:58: plugin 'audit' batch field 'parse_ahead': expected true or false, "
                 "got 'sometimes'");
}

TEST(Config, OutOfRangeValueIsAnError) {
    const std::string e = error_of(replace(k_valid, "max_events: 100", "max_events: 0"));
    EXPECT_NE(e.find("'max_events': 0 is out of range [1, 100000]"), std::string::npos) << e;
}

TEST(Config, BadChoiceListsTheChoices) {
    const std::string e = error_of(replace(k_valid, "on_permanent_error: stop", "on_permanent_error: ignore"));
    EXPECT_NE(e.find(":16:25: plugin 'audit' field 'on_permanent_error': expected one of dead_letter, stop, got 'ignore'"),
              std::string::npos)
        << e;
}

TEST(Config, DuplicatePluginNameIsAnError) {
    const std::string text = k_valid + "  - {name: audit, type: library, path: /b.so, topics: t}\n";
    const std::string e = error_of(text);
    EXPECT_NE(e.find(":20:5: duplicate plugin name 'audit' (first declared at line 9)"), std::string::npos) << e;
}

TEST(Config, MissingRequiredFieldsAreErrors) {
    EXPECT_NE(error_of(replace(k_valid, "    topics: [posts, other]\n", "")).find("missing required field 'topics'"),
              std::string::npos);
    EXPECT_NE(error_of(replace(k_valid, "    path: libs/libaudit.so\n", "")).find("missing required field 'path'"),
              std::string::npos);
    EXPECT_NE(error_of(replace(k_valid, "  brokers: 127.0.0.1:9092\n", "")).find("kafka: missing required field 'brokers'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka: {brokers: b}\n").find("missing required field 'plugins'"), std::string::npos);
    EXPECT_NE(error_of(replace(k_valid, "    type: library\n", "")).find("missing required field 'type'"),
              std::string::npos);
}

TEST(Config, ManagedKafkaPropertiesAreRefused) {
    const std::string e = error_of(replace(k_valid, "fetch.wait.max.ms", "group.id"));
    EXPECT_NE(e.find("'group.id' is managed by fanoutd (use group_prefix)"), std::string::npos) << e;
}

TEST(Config, PluginNamesAreRestricted) {
    const std::string e = error_of(replace(k_valid, "name: audit", "name: a/b"));
    EXPECT_NE(e.find("plugin name 'a/b': use letters, digits"), std::string::npos) << e;
}

TEST(Config, LuaLimitsOnlyForLuaPlugins) {
    const std::string e = error_of(replace(k_valid, "    start_from: latest\n", "    lua: {memory_limit_mb: 8}\n"));
    EXPECT_NE(e.find("field 'lua' is only valid with type: lua"), std::string::npos) << e;
}

TEST(Config, MissingFileIsAnError) {
    try {
        fanout::daemon::load_config("/nonexistent/fanoutd.yaml");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "/nonexistent/fanoutd.yaml: config file not found");
    }
}
