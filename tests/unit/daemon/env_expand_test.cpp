// ${NAME} and ${NAME:-fallback} in configuration values.
#include <gtest/gtest.h>

#include <map>

#include "config.hpp"
#include "config_error.hpp"
#include "env_expand.hpp"

using namespace fanout::daemon;

namespace {

EnvironmentLookup env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

const std::string k_config = R"(kafka:
  brokers: ${KAFKA_BROKERS:-127.0.0.1:19092}
group_prefix: ${GROUP}
plugins:
  - name: audit
    type: library
    path: ${LIBDIR}/libaudit.so
    topics: [posts, "${EXTRA_TOPIC:-extra}"]
    options:
      path: /var/lib/$${literal}/$HOME/${DATA}/audit.jsonl
)";

std::string error_of(const std::string& text, const EnvironmentLookup& lookup) {
    try {
        parse_config(text, "/etc/fanout/fanoutd.yaml", lookup);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(EnvExpand, VariablesFallbacksAndLiteralDollars) {
    const auto lookup = env({{"X", "ex"}, {"EMPTY", ""}});
    EXPECT_EQ(expand_value("a${X}b", lookup), "aexb");
    EXPECT_EQ(expand_value("${MISSING:-fall back}", lookup), "fall back");
    EXPECT_EQ(expand_value("${EMPTY:-used when empty}", lookup), "used when empty");
    EXPECT_EQ(expand_value("${EMPTY}", lookup), "");
    EXPECT_EQ(expand_value("${X:-}", lookup), "ex");
    EXPECT_EQ(expand_value("$$ and $X and $ alone$", lookup), "$ and $X and $ alone$");
    EXPECT_EQ(expand_value("${X}${X}", lookup), "exex");
}

TEST(EnvExpand, ExpansionHappensOnce) {
    EXPECT_EQ(expand_value("${A}", env({{"A", "${B}"}, {"B", "no"}})), "${B}");
}

TEST(EnvExpand, MalformedReferencesAreRejectedWithTheReason) {
    const auto lookup = env({});
    EXPECT_THROW(expand_value("${UNSET}", lookup), std::invalid_argument);
    EXPECT_THROW(expand_value("${OPEN", lookup), std::invalid_argument);
    EXPECT_THROW(expand_value("${}", lookup), std::invalid_argument);
    EXPECT_THROW(expand_value("${9LIVES}", lookup), std::invalid_argument);
    EXPECT_THROW(expand_value("${A-b}", lookup), std::invalid_argument);
    try {
        expand_value("x ${KAFKA_BROKERS}", lookup);
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("environment variable KAFKA_BROKERS is not set"), std::string::npos)
            << e.what();
    }
}

TEST(EnvExpand, ConfigValuesAreExpandedEverywhere) {
    const auto s = parse_config(k_config, "/etc/fanout/fanoutd.yaml",
                                env({{"GROUP", "quick"}, {"LIBDIR", "/opt/fanout/lib"}, {"DATA", "d"}}));
    EXPECT_EQ(s.kafka.brokers, "127.0.0.1:19092");
    EXPECT_EQ(s.group_prefix, "quick");
    ASSERT_EQ(s.plugins.size(), 1u);
    EXPECT_EQ(s.plugins[0].path, "/opt/fanout/lib/libaudit.so");
    EXPECT_EQ(s.plugins[0].topics, (std::vector<std::string>{"posts", "extra"}));
    EXPECT_EQ(s.plugins[0].options["path"].Scalar(), "/var/lib/${literal}/$HOME/d/audit.jsonl");
}

TEST(EnvExpand, AnUnsetVariableIsAConfigErrorAtTheValue) {
    const std::string e = error_of(k_config, env({{"LIBDIR", "/opt"}, {"DATA", "d"}}));
    EXPECT_NE(e.find("/etc/fanout/fanoutd.yaml:3:15:"), std::string::npos) << e;
    EXPECT_NE(e.find("environment variable GROUP is not set"), std::string::npos) << e;
}

TEST(EnvExpand, KeysAreNotExpanded) {
    const auto lookup = env({{"KEY", "kafka"}, {"GROUP", "g"}, {"LIBDIR", "/l"}, {"DATA", "d"}});
    const std::string e = error_of("${KEY}: 1\n" + k_config, lookup);
    EXPECT_NE(e.find("unknown field '${KEY}'"), std::string::npos) << e;
}
