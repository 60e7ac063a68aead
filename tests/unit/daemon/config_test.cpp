// Every configuration error fanoutd promises to report, with its location.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_error.hpp"
#include "lua/lua_kind.hpp"
#include "option_values.hpp"
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

/// The message of the ConfigError `f()` throws; "no error" when it returns.
template <class F>
std::string config_error(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

std::string error_of(const std::string& text) {
    return config_error([&] { parse_config(text, "/etc/fanout/fanoutd.yaml"); });
}

std::string load_error(const std::filesystem::path& file) {
    return config_error([&] { fanout::daemon::load_config(file); });
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
    const auto s = parse_config(
        "kafka: {brokers: b:1}\nplugins:\n  - {name: a, type: library, path: /x.so, topics: t}\n", "f.yaml");
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

TEST(Config, EmptyBomOnlyOrCommentOnlyFileIsAnErrorAtItsStart) {
    for (const std::string text : {"", "\xEF\xBB\xBF", "\n\n", "# nothing yet\n"}) {
        EXPECT_EQ(error_of(text),
                  "/etc/fanout/fanoutd.yaml:1:1: the file holds no YAML document (it is empty, or only comments); "
                  "expected a mapping with 'kafka' and 'plugins'")
            << text;
    }
    EXPECT_EQ(error_of("# header\n---\n"),
              "/etc/fanout/fanoutd.yaml:3:1: the document is empty; expected a mapping with 'kafka' and 'plugins'");
}

TEST(Config, SelfReferencingAliasIsAnErrorAtTheAlias) {
    EXPECT_EQ(error_of("x: &x [*x]\n"),
              "/etc/fanout/fanoutd.yaml:1:8: alias refers to the node that contains it (anchored at line 1): a node "
              "cannot include itself");
    const std::string e =
        error_of(replace(k_valid, "    options:\n      path: /tmp/x\n", "    options: &o { self: *o }\n"));
    EXPECT_EQ(e.rfind("/etc/fanout/fanoutd.yaml:18:25: alias refers to the node that contains it", 0), 0u) << e;
    EXPECT_NE(error_of("kafka: &k\n  brokers: b\n  more: [1, {deeper: *k}]\n").find(":3:22: alias refers"),
              std::string::npos);
}

TEST(Config, AliasesToEarlierNodesStillWork) {
    const auto s = parse_config(replace(k_valid, "    options:\n      path: /tmp/x\n",
                                        "    options: &shared {path: /tmp/x}\n"
                                        "  - {name: copy, type: library, path: /b.so, topics: t, options: *shared}\n"),
                                "/etc/fanout/fanoutd.yaml");
    ASSERT_EQ(s.plugins.size(), 2u);
    EXPECT_EQ(s.plugins[1].options["path"].as<std::string>(), "/tmp/x");
}

TEST(Config, AliasExpansionBombIsRefused) {
    // Ten aliases of ten aliases ... : 10^6 nodes from a few hundred bytes.
    std::string text =
        "kafka: {brokers: b}\nplugins:\n  - name: a\n    type: library\n    path: /a.so\n"
        "    topics: t\n    options:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level <= 6; ++level) {
        const std::string prev = "*l" + std::to_string(level - 1);
        text += "      l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
        for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + prev;
        text += "]\n";
    }
    const std::string e = error_of(text);
    EXPECT_NE(e.find("the document has more than 100000 nodes (every use of an alias counts its node in full)"),
              std::string::npos)
        << e;
    EXPECT_EQ(e.rfind("/etc/fanout/fanoutd.yaml:12:", 0), 0u) << e;
}

TEST(Config, DeepNestingIsAnErrorNotACrash) {
    EXPECT_EQ(error_of(std::string(100'000, '[') + std::string(100'000, ']')),
              "/etc/fanout/fanoutd.yaml:1:65: nested deeper than 64 levels");
    const std::string unclosed = error_of(std::string(100'000, '['));
    EXPECT_EQ(unclosed.rfind("/etc/fanout/fanoutd.yaml:1:", 0), 0u) << unclosed;
    EXPECT_NE(unclosed.find(": nested deeper than 64 levels"), std::string::npos) << unclosed;
    std::string block = "kafka: {brokers: b}\nplugins: []\nx:\n";
    for (int i = 0; i < 100; ++i) block += std::string(2 * i + 2, ' ') + "- \n";
    EXPECT_NE(error_of(block).find("nested deeper than 64 levels"), std::string::npos);
}

TEST(Config, OversizedTextIsRefused) {
    const std::string e = error_of("# " + std::string(1u << 20, 'x') + "\n");
    EXPECT_EQ(e, "/etc/fanout/fanoutd.yaml: the file is 1048579 bytes, over the limit of 1 MiB for a configuration");
}

TEST(Config, RepeatedKeyIsAnErrorAtTheSecondOne) {
    EXPECT_EQ(error_of(k_valid + "group_prefix: again\n"),
              "/etc/fanout/fanoutd.yaml:20:1: key 'group_prefix' is repeated in this mapping (first at line 5)");
    const std::string e = error_of(replace(k_valid, "    type: library\n", "    type: library\n    type: lua\n"));
    EXPECT_NE(e.find(":11:5: key 'type' is repeated in this mapping (first at line 10)"), std::string::npos) << e;
}

TEST(Config, SecondDocumentIsRefusedAtItsStartEvenWhenBroken) {
    EXPECT_EQ(error_of(k_valid + "---\nkafka: {brokers: [\n"),
              "/etc/fanout/fanoutd.yaml:20:1: a second YAML document starts here; the file must hold exactly one "
              "(remove the '---' separator or merge the documents)");
    EXPECT_NE(error_of(k_valid + "---\n" + k_valid).find("fanoutd.yaml:20:1: a second YAML document"),
              std::string::npos);
    EXPECT_NE(error_of(k_valid + "...\ngroup_prefix: x\n").find("fanoutd.yaml:21:1: a second YAML document"),
              std::string::npos);
    // An explicit start and end of the one document are fine.
    EXPECT_NO_THROW(parse_config("---\n" + k_valid + "...\n", "/etc/fanout/fanoutd.yaml"));
}

TEST(Config, ScalarReachedTwiceThroughAnAliasIsExpandedOnce) {
    const auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    const auto s = parse_config(replace(k_valid, "group_prefix: test\ndead_letter_topic: dlq\n",
                                        "group_prefix: &g \"literal-$${NOT_SET}\"\ndead_letter_topic: *g\n"),
                                "/etc/fanout/fanoutd.yaml", env);
    EXPECT_EQ(s.group_prefix, "literal-${NOT_SET}");
    EXPECT_EQ(s.dead_letter_topic, "literal-${NOT_SET}");
}

TEST(Config, ExpandedValueKeepsItsLocation) {
    const auto env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "EMPTY") return "";
        return std::nullopt;
    };
    EXPECT_EQ(config_error([&] {
                  parse_config(replace(k_valid, "brokers: 127.0.0.1:9092", "brokers: ${EMPTY}"),
                               "/etc/fanout/fanoutd.yaml", env);
              }),
              "/etc/fanout/fanoutd.yaml:2:12: kafka field 'brokers': must not be empty");
}

TEST(Config, LuaScriptSizeLimitIsConfigurable) {
    const std::string lua =
        replace(replace(k_valid, "type: library", "type: lua"), "    options:\n      path: /tmp/x\n", "");
    EXPECT_EQ(fanout::daemon::lua::lua_settings(parse_config(lua, "/etc/fanout/fanoutd.yaml").plugins[0]).max_script_bytes, 16u << 20);
    const auto s = parse_config(replace(lua, "    start_from: latest\n", "    lua: {max_script_mb: 2}\n"),
                                "/etc/fanout/fanoutd.yaml");
    EXPECT_EQ(fanout::daemon::lua::lua_settings(s.plugins[0]).max_script_bytes, 2u << 20);
    EXPECT_NE(error_of(replace(lua, "    start_from: latest\n", "    lua: {max_script_mb: 0}\n"))
                  .find("'max_script_mb': 0 is out of range [1, 1024]"),
              std::string::npos);
}

TEST(Config, ALuaProjectionTakesItsDatabaseFromTheLuaBlock) {
    const std::string lua =
        replace(replace(k_valid, "type: library", "type: lua"), "    options:\n      path: /tmp/x\n", "");
    const auto with = [&](const std::string& block) { return replace(lua, "    start_from: latest\n", block); };
    const auto s = parse_config(
        with("    lua: {connection: 'postgresql://fanout:${PG_PASSWORD:-secret}@127.0.0.1/db', lock_timeout_ms: 250,\n"
             "          reconnect_interval_ms: 0, connect_timeout_s: 3}\n"),
        "/etc/fanout/fanoutd.yaml");
    const auto& p = s.plugins[0];
    EXPECT_EQ(fanout::daemon::lua::lua_settings(p).connection, "postgresql://fanout:secret@127.0.0.1/db");
    EXPECT_EQ(fanout::daemon::lua::lua_settings(p).lock_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(fanout::daemon::lua::lua_settings(p).reconnect_interval, std::chrono::milliseconds(0));
    EXPECT_EQ(fanout::daemon::lua::lua_settings(p).connect_timeout, std::chrono::seconds(3));
    EXPECT_EQ(fanout::daemon::lua::lua_settings(parse_config(lua, "/etc/fanout/fanoutd.yaml").plugins[0]).connection, "");

    const std::string bad = error_of(with("    lua: {connection: 'postgresql://[::1'}\n"));
    EXPECT_NE(bad.find("/etc/fanout/fanoutd.yaml:"), std::string::npos) << bad;
    EXPECT_NE(bad.find("field 'connection'"), std::string::npos) << bad;
    EXPECT_NE(bad.find("expected sqlite:/path/file.db"), std::string::npos) << bad;
    EXPECT_NE(error_of(with("    lua: {lock_timeout_ms: 100}\n")).find("lua.lock_timeout_ms needs lua.connection"),
              std::string::npos);
}

TEST(Config, MissingRequiredOptionPointsAtTheEntryWhenOptionsAreAbsent) {
    static constexpr fanout::OptionSpec k_schema[] = {
        {"connection", fanout::OptionType::string, nullptr, "database connection"}};
    const auto s = parse_config(replace(k_valid, "    options:\n      path: /tmp/x\n", ""), "/etc/fanout/fanoutd.yaml");
    const auto& p = s.plugins[0];
    EXPECT_EQ(config_error([&] {
                  fanout::daemon::OptionValues::validate(k_schema, p.options, p.options_location, "plugin 'audit'");
              }),
              "/etc/fanout/fanoutd.yaml:9:5: plugin 'audit': missing required option 'connection' (string: "
              "database connection)");
    const auto with =
        parse_config(replace(k_valid, "      path: /tmp/x\n", "      other: 1\n"), "/etc/fanout/fanoutd.yaml");
    const std::string e = config_error([&] {
        fanout::daemon::OptionValues::validate(k_schema, with.plugins[0].options, with.plugins[0].options_location,
                                               "plugin 'audit'");
    });
    EXPECT_EQ(e.rfind("/etc/fanout/fanoutd.yaml:19:7: plugin 'audit': missing required option 'connection'", 0), 0u)
        << e;
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
    EXPECT_EQ(e,
              "/etc/fanout/fanoutd.yaml:14:58: plugin 'audit' batch field 'parse_ahead': expected true or false, "
              "got 'sometimes'");
}

TEST(Config, OutOfRangeValueIsAnError) {
    const std::string e = error_of(replace(k_valid, "max_events: 100", "max_events: 0"));
    EXPECT_NE(e.find("'max_events': 0 is out of range [1, 100000]"), std::string::npos) << e;
}

TEST(Config, BadChoiceListsTheChoices) {
    const std::string e = error_of(replace(k_valid, "on_permanent_error: stop", "on_permanent_error: ignore"));
    EXPECT_NE(
        e.find(":16:25: plugin 'audit' field 'on_permanent_error': expected one of dead_letter, stop, got 'ignore'"),
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
    EXPECT_NE(
        error_of(replace(k_valid, "  brokers: 127.0.0.1:9092\n", "")).find("kafka: missing required field 'brokers'"),
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
    EXPECT_EQ(load_error("/nonexistent/fanoutd.yaml"), "/nonexistent/fanoutd.yaml: config file not found");
}

TEST(Config, NonRegularConfigFilesAreRefusedWithoutReading) {
    EXPECT_EQ(load_error("/dev/zero"), "/dev/zero: config file is a character device, not a regular file");
    fanout::test::TempDir dir;
    std::filesystem::create_directory(dir / "conf.d");
    EXPECT_EQ(load_error(dir / "conf.d"), (dir / "conf.d").string() + ": config file is a directory, not a regular file");
}

TEST(Config, OversizedConfigFileIsRefused) {
    fanout::test::TempDir dir;
    const auto file = dir.write("big.yaml", "# " + std::string(2u << 20, 'x') + "\n");
    EXPECT_EQ(load_error(file), file.string() + ": config file is 2097155 bytes, over the limit of 1 MiB");
}
