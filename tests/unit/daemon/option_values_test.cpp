#include <gtest/gtest.h>

#include "config_error.hpp"
#include "option_values.hpp"

using fanout::OptionSpec;
using fanout::OptionType;
using fanout::daemon::ConfigError;
using fanout::daemon::OptionValues;

namespace {

constexpr OptionSpec k_schema[] = {
    {"url", OptionType::string, nullptr, "where to send"},
    {"timeout_ms", OptionType::integer, "1500", "request timeout"},
    {"ratio", OptionType::number, "0.5", "sampling ratio"},
    {"enabled", OptionType::boolean, "true", "on or off"},
    {"types", OptionType::string_list, "A,B", "event types"},
};

OptionValues validate(const std::string& yaml) {
    return OptionValues::validate(k_schema, YAML::Load(yaml), "/etc/f.yaml", "plugin 'hook'");
}

std::string error_of(const std::string& yaml) {
    try {
        validate(yaml);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(OptionValues, TypedValuesAndDefaults) {
    const OptionValues v = validate("{url: http://x, ratio: 2, types: [C]}");
    EXPECT_EQ(v.get_string("url"), "http://x");
    EXPECT_EQ(v.get_integer("timeout_ms"), 1500);
    EXPECT_DOUBLE_EQ(v.get_number("ratio"), 2.0);
    EXPECT_TRUE(v.get_boolean("enabled"));
    EXPECT_EQ(v.get_list("types"), std::vector<std::string>{"C"});
    EXPECT_TRUE(v.is_set("url"));
    EXPECT_FALSE(v.is_set("timeout_ms"));
}

TEST(OptionValues, ListDefaultIsSplit) {
    EXPECT_EQ(validate("{url: u}").get_list("types"), (std::vector<std::string>{"A", "B"}));
}

TEST(OptionValues, UnknownOptionIsAnErrorAtItsKey) {
    const std::string e = error_of("{url: u,\n timeuot_ms: 5}");
    EXPECT_NE(e.find("/etc/f.yaml:2:2: plugin 'hook' options: unknown field 'timeuot_ms'"), std::string::npos) << e;
    EXPECT_NE(e.find("timeout_ms"), std::string::npos) << "lists the accepted keys: " << e;
}

TEST(OptionValues, WrongTypeIsAnError) {
    const std::string e = error_of("{url: u, timeout_ms: soon}");
    EXPECT_NE(e.find("/etc/f.yaml:1:22: plugin 'hook' option 'timeout_ms' (integer): expected an integer, got 'soon'"),
              std::string::npos)
        << e;
    EXPECT_NE(error_of("{url: u, enabled: maybe}").find("expected true or false"), std::string::npos);
    EXPECT_NE(error_of("{url: [a, b]}").find("expected a string, got a list"), std::string::npos);
}

TEST(OptionValues, MissingRequiredOptionIsAnError) {
    const std::string e = error_of("{timeout_ms: 5}");
    EXPECT_NE(e.find("plugin 'hook': missing required option 'url' (string: where to send)"), std::string::npos) << e;
}

TEST(OptionValues, ReadingAnUndeclaredKeyIsAPluginBug) {
    const OptionValues v = validate("{url: u}");
    EXPECT_THROW(v.get_string("nope"), std::out_of_range);
    EXPECT_THROW(v.get_integer("url"), std::out_of_range);
}
