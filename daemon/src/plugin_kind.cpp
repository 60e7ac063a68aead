#include "plugin_kind.hpp"

#include "lua/lua_kind.hpp"
#include "plugin_factory.hpp"

namespace fanout::daemon {

std::span<const PluginKind* const> plugin_kinds() {
    static const PluginKind* const k_kinds[] = {&library_kind(), &lua::lua_kind()};
    return k_kinds;
}

const PluginKind* find_plugin_kind(std::string_view type) {
    for (const PluginKind* kind : plugin_kinds()) {
        if (kind->name() == type) return kind;
    }
    return nullptr;
}

std::string plugin_kind_names() {
    std::string out;
    const auto kinds = plugin_kinds();
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (i > 0) out += i + 1 == kinds.size() ? " or " : ", ";
        out += kinds[i]->name();
    }
    return out;
}

}  // namespace fanout::daemon
