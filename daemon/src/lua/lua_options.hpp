#pragma once
// The options a Lua script declares, checked like a C++ plugin's
// (fanout::OptionSpec): the script's top level sets
//
//   options_schema = {
//     threshold = { type = "integer", default = 10, description = "likes that make a post trending" },
//     endpoint  = { type = "string", description = "required: no default" },
//     tags      = { type = "string_list", default = { "a", "b" } },
//   }
//
// Names: letters, digits, `_`, `-`. Types: string, integer, number, boolean,
// string_list (the default a sequence of strings). An option without a
// default is required. fanoutd (and --check-config) then refuses an entry
// whose `options:` has an unknown key, a missing required one or a value of
// the wrong type, at its line; init(options) receives every declared option,
// defaults filled in. A script without options_schema gets its options as
// written, unchecked.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "fanout/options.hpp"
#include "lua/lua_plugin.hpp"
#include "option_values.hpp"

namespace fanout::daemon::lua {

class ScriptOptionSchema {
public:
    /// The script's `options_schema`, or nullopt when it declares none.
    /// Throws LuaScriptError naming the faulty declaration.
    static std::optional<ScriptOptionSchema> read(LuaPlugin& script);

    ScriptOptionSchema(const ScriptOptionSchema& other) : entries_(other.entries_) { point(); }
    ScriptOptionSchema& operator=(const ScriptOptionSchema&) = delete;

    std::span<const OptionSpec> specs() const noexcept { return specs_; }
    /// `values` (validated against specs()) as the object init(options) receives.
    rapidjson::Document to_json(const OptionValues& values) const;

    struct Entry {
        std::string key;
        OptionType type = OptionType::string;
        std::optional<std::string> default_value;  ///< in OptionSpec's syntax
        std::string description;
    };

private:
    explicit ScriptOptionSchema(std::vector<Entry> entries) : entries_(std::move(entries)) { point(); }
    void point();

    std::vector<Entry> entries_;
    std::vector<OptionSpec> specs_;  ///< points into entries_
};

}  // namespace fanout::daemon::lua
