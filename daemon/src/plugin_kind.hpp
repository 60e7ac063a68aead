#pragma once
// Plugin kinds, chosen by an entry's `type:`. A kind owns the entry keys
// that only make sense for it (the Lua runtime's `lua:` block) and reads
// them; its factory maker (plugin_factory.hpp, registered under the kind's
// name) turns a checked entry into a PluginFactory. This registry is the one
// list of kinds config reading asks; it stays free of the factories (and of
// what they load: shared libraries, the Lua runtime), so reading a config
// file needs none of them.
//
// Kinds: `library` (a C++ shared library) and `lua` (a script run by the Lua
// runtime, lua/lua_kind.cpp).
#include <any>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config.hpp"

namespace fanout::daemon {

class PluginKind {
public:
    virtual ~PluginKind() = default;
    /// The `type:` value.
    virtual std::string_view name() const noexcept = 0;
    /// Entry keys this kind owns, beside the generic ones (name, type, path,
    /// topics, event_types, batch, retry, options, ...).
    virtual std::span<const std::string_view> keys() const noexcept = 0;
    /// The kind's settings from its keys in `entry` (absent keys: defaults).
    /// Throws ConfigError at the offending node.
    virtual std::any read(const std::filesystem::path& file, const YAML::Node& entry, const std::string& what) const = 0;
};

/// Every kind, in the order messages list them.
std::span<const PluginKind* const> plugin_kinds();
/// The kind named `type`; nullptr when there is none.
const PluginKind* find_plugin_kind(std::string_view type);
/// "library or lua".
std::string plugin_kind_names();

/// A kind's settings of an entry (PluginSettings::kind_settings).
template <typename Settings>
const Settings& kind_settings(const PluginSettings& settings) {
    return std::any_cast<const Settings&>(settings.kind_settings);
}

}  // namespace fanout::daemon
