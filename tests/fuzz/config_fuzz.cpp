// fanoutd's configuration loader: YAML text, `${NAME}` expansion, the file's
// structure and values, then each plugin's `options` against a schema with
// every option type (as the plugin host validates them) and as a Lua
// script's options table.
//
// Anything but a ConfigError escaping the loader would end fanoutd (and
// `--check-config`) without its `file:line:col` message: such exceptions are
// left to propagate, and the fuzzer reports them.
#include <optional>
#include <string>

#include "config.hpp"
#include "config_error.hpp"
#include "fuzz_support.hpp"
#include "lua/lua_json.hpp"
#include "option_values.hpp"

namespace {

using fanout::OptionSpec;
using fanout::OptionType;

constexpr OptionSpec k_schema[] = {
    {"connection", OptionType::string, nullptr, "required string"},
    {"table", OptionType::string, "posts", "string with a default"},
    {"batch", OptionType::integer, "100", "integer"},
    {"ratio", OptionType::number, "0.5", "number"},
    {"enabled", OptionType::boolean, "true", "boolean"},
    {"events", OptionType::string_list, "PostCreatedEvent,PostLikedEvent", "list"},
    {"headers", OptionType::string_list, "", "empty list by default"},
};

std::optional<std::string> environment(const std::string& name) {
    if (name == "BROKERS") return "127.0.0.1:9092";
    if (name == "EMPTY") return "";
    if (name == "PORT") return "9464";
    if (name == "NESTED") return "${BROKERS}";  // expanded once: stays as written
    if (name == "YAML") return "{a: [1, 2], b: *x}";
    if (name == "LONG") return std::string(300, 'x');
    return std::nullopt;
}

const std::filesystem::path k_file = "/fuzz/config/fanoutd.yaml";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fanout::fuzz::as_text(data, size));
    fanout::daemon::DaemonSettings settings;
    try {
        settings = fanout::daemon::parse_config(text, k_file, environment);
    } catch (const fanout::daemon::ConfigError& e) {
        const std::string what = e.what();
        fanout::fuzz::check(what.rfind(k_file.string(), 0) == 0, "a configuration error names the file", what);
        return 0;
    }
    for (const auto& plugin : settings.plugins) {
        (void)settings.group_id(plugin);
        (void)plugin.wants_type("PostCreatedEvent");
        if (plugin.type == "lua") {
            // What the Lua plugin factory hands the script as its options.
            (void)fanout::daemon::lua::yaml_to_json(plugin.options);
            continue;
        }
        try {
            const auto values = fanout::daemon::OptionValues::validate(k_schema, plugin.options, k_file,
                                                                       "plugin '" + plugin.name + "'");
            (void)values.get_string("connection");
            (void)values.get_list("events");
        } catch (const fanout::daemon::ConfigError& e) {
            const std::string what = e.what();
            fanout::fuzz::check(what.rfind(k_file.string(), 0) == 0, "an option error names the file", what);
        }
    }
    return 0;
}
