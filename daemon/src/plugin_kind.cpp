#include "plugin_kind.hpp"

#include "lua/lua_kind.hpp"

namespace fanout::daemon {

namespace {

/// `type: library`: a C++ shared library; its entries have no keys of their own.
class LibraryKind final : public PluginKind {
public:
    std::string_view name() const noexcept override { return "library"; }
    std::span<const std::string_view> keys() const noexcept override { return {}; }
    std::any read(const std::filesystem::path&, const YAML::Node&, const std::string&) const override { return {}; }
};

const LibraryKind k_library;

}  // namespace

std::span<const PluginKind* const> plugin_kinds() {
    static const PluginKind* const k_kinds[] = {&k_library, &lua::lua_kind()};
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
