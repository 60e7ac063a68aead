// The plugin kind registry (what `type:` may be, which keys each kind owns)
// and the factory makers stay one list: every kind can be built, nothing
// is built that config reading would refuse.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config.hpp"
#include "config_error.hpp"
#include "plugin_factory.hpp"
#include "plugin_kind.hpp"

using namespace fanout::daemon;

TEST(PluginKinds, EveryKindHasAFactoryMakerAndEveryMakerAKind) {
    std::set<std::string> kinds, makers;
    for (const PluginKind* k : plugin_kinds()) kinds.insert(std::string(k->name()));
    for (const FactoryMaker& m : factory_makers()) makers.insert(std::string(m.kind));
    EXPECT_EQ(kinds, makers);
    EXPECT_EQ(kinds, (std::set<std::string>{"library", "lua"}));
    EXPECT_EQ(plugin_kind_names(), "library or lua");
}

TEST(PluginKinds, AKeyAnotherKindOwnsAndAnUnknownTypeAreRefusedAtTheirPlace) {
    const auto error = [](const std::string& type, const std::string& extra) {
        try {
            parse_config("kafka: {brokers: 127.0.0.1:1}\nplugins:\n  - name: p\n    type: " + type +
                             "\n    path: x.so\n    topics: [t]\n" + extra,
                         "/etc/fanout/fanoutd.yaml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error("library", "    lua: {memory_limit_mb: 8}\n"),
              "/etc/fanout/fanoutd.yaml:7:10: plugin 'p': field 'lua' is only valid with type: lua");
    EXPECT_EQ(error("python", ""),
              "/etc/fanout/fanoutd.yaml:4:11: plugin 'p' field 'type': expected one of library, lua, got 'python'");
    EXPECT_EQ(error("lua", "    lua: {memory_limit_mb: 8}\n"), "no error");
}
